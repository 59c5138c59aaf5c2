//! ycord server (work in progress).
