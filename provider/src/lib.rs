//! ycord provider (work in progress).
