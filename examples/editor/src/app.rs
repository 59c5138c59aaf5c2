//! The page: header with the room, sync status and undo/redo; the text with everyone's carets;
//! the list of people here.

use std::rc::Rc;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use ycord_leptos::{
    use_presence, use_provider_status, use_undo, use_y_text, CollabTextarea, SyncStatus,
};
use ycord_provider::WebsocketProvider;
use yrs::Doc;

use crate::carets::{self, Cursor, PeerState, Piece, PlacedCaret};
use crate::identity::{local_user, User};

/// The editor for one room.
#[component]
pub fn Editor(doc: Doc, room: String, provider: Rc<WebsocketProvider>) -> impl IntoView {
    let text = doc.get_or_insert_text("body");
    let body = use_y_text(&doc, &text);
    let status = use_provider_status(&provider);
    let history = use_undo(&doc, &[&text]);
    // use_presence keeps the provider (and its connection) as long as the editor is shown.
    let presence = use_presence::<PeerState, _>(provider);
    let me = local_user();

    let publish = {
        let set_local = presence.set_local.clone();
        let me = me.clone();
        move |cursor: Option<Cursor>| {
            let state = PeerState {
                user: me.clone(),
                cursor,
            };
            if let Err(error) = set_local(&state) {
                crate::page::warn(&format!("cannot publish presence: {error}"));
            }
        }
    };
    publish(None);

    // After every key, click or edit, tell the others where the caret is (if it moved).
    let last_cursor = StoredValue::new(None::<Cursor>);
    let track_caret = {
        let (doc, text, publish) = (doc.clone(), text.clone(), publish.clone());
        move |target: Option<web_sys::EventTarget>| {
            let Some(textarea) = target.and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            else {
                return;
            };
            let start = textarea.selection_start().ok().flatten().unwrap_or(0);
            let end = textarea.selection_end().ok().flatten().unwrap_or(start);
            let backwards =
                textarea.selection_direction().ok().flatten().as_deref() == Some("backward");
            let (anchor, head) = if backwards {
                (end, start)
            } else {
                (start, end)
            };
            let cursor = Cursor::at(&doc, &text, anchor, head);
            if last_cursor.get_value() != cursor {
                last_cursor.set_value(cursor.clone());
                publish(cursor);
            }
        }
    };

    let on_keydown = {
        let (undo, redo) = (history.undo.clone(), history.redo.clone());
        move |event: KeyboardEvent| {
            if !(event.ctrl_key() || event.meta_key()) {
                return;
            }
            // The browser's own undo would replay its textarea history, not the document's.
            let key = event.key().to_lowercase();
            if key == "z" && !event.shift_key() {
                event.prevent_default();
                undo();
            } else if key == "y" || (key == "z" && event.shift_key()) {
                event.prevent_default();
                redo();
            }
        }
    };

    let placed = {
        let doc = doc.clone();
        let others = presence.others;
        Memo::new(move |_| {
            let text = body.text.get();
            let peers: Vec<(u64, PeerState)> = others.get().into_iter().collect();
            carets::place(&doc, &text, &peers)
        })
    };
    let mirror = move || {
        // A trailing newline needs one more line of height in the mirror.
        let text = body.text.get() + "\u{200b}";
        carets::pieces(&text, &placed.get())
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => view! { <span>{text}</span> }.into_any(),
                Piece::Caret(caret) => view! {
                    <span
                        class="remote-caret"
                        style=format!("--color: {}", caret.user.color)
                        data-name=caret.user.name
                    ></span>
                }
                .into_any(),
            })
            .collect_view()
    };

    let people = move || {
        let placed = placed.get();
        presence
            .others
            .get()
            .into_iter()
            .map(|(client_id, peer)| {
                let caret = placed.iter().find(|caret| caret.client_id == client_id);
                (client_id, peer.user, caret.map(where_is))
            })
            .collect::<Vec<_>>()
    };

    let (undo, redo) = (history.undo.clone(), history.redo.clone());
    let on_edit = {
        let track_caret = track_caret.clone();
        move |event: leptos::ev::Event| track_caret(event.target())
    };
    let on_pointer = {
        let track_caret = track_caret.clone();
        move |event: leptos::ev::MouseEvent| track_caret(event.target())
    };
    let on_keyup = move |event: KeyboardEvent| track_caret(event.target());

    view! {
        <header>
            <h1>"ycord editor"</h1>
            <span class="room">"room " <code>{room}</code></span>
            <SyncStatus status=status.status synced=status.synced />
            <button class="undo" disabled=move || !history.can_undo.get() on:click=move |_| { undo(); }>
                "Undo"
            </button>
            <button class="redo" disabled=move || !history.can_redo.get() on:click=move |_| { redo(); }>
                "Redo"
            </button>
        </header>
        <main>
            <div
                class="sheet"
                on:keydown=on_keydown
                on:keyup=on_keyup
                on:mouseup=on_pointer
                on:input=on_edit
            >
                <div class="mirror" aria-hidden="true">{mirror}</div>
                <CollabTextarea
                    doc=doc
                    text=text
                    class="text"
                    placeholder="Type here; everyone on this room sees it."
                />
            </div>
            <aside>
                <h2>"Here"</h2>
                <ul class="people">
                    <li class="person me">
                        <span class="dot" style=format!("--color: {}", me.color)></span>
                        {me.name.clone()}
                        " (you)"
                    </li>
                    <For
                        each=people
                        key=|(client_id, user, caret)| (*client_id, user.clone(), caret.clone())
                        children=move |(_, user, caret): (u64, User, Option<String>)| {
                            view! {
                                <li class="person">
                                    <span class="dot" style=format!("--color: {}", user.color)></span>
                                    {user.name}
                                    <span class="where">{caret.unwrap_or_default()}</span>
                                </li>
                            }
                        }
                    />
                </ul>
            </aside>
        </main>
    }
}

fn where_is(caret: &PlacedCaret) -> String {
    format!(" — line {}, column {}", caret.line, caret.column)
}
