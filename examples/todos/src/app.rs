//! The page: a field to add todos, the filtered list with its controls, and the sync state.

use std::rc::Rc;

use leptos::ev::{Event, KeyboardEvent};
use leptos::prelude::*;
use ycord_leptos::{use_provider_status, use_y_collection, Query, SyncStatus, YCollection};
use ycord_provider::WebsocketProvider;
use yrs::Doc;

use crate::pending::Pending;
use crate::todo::{position_at, Filter, Todo};

/// The todo list of one room.
#[component]
pub fn Todos(doc: Doc, room: String, provider: Rc<WebsocketProvider>) -> impl IntoView {
    let todos: YCollection<Todo> = use_y_collection(&doc, &doc.get_or_insert_map("todos"));
    let status = use_provider_status(&provider);
    // The provider lives as long as the page shows the list.
    StoredValue::new_local(provider);
    let pending = Pending::new(&room);
    let synced = status.synced;
    Effect::new(move |_| {
        if synced.get() {
            pending.synced();
        }
    });

    // One query per filter, each re-run only when a todo changes.
    let [all, active, done] = Filter::ALL.map(|filter| {
        todos.query_with_ids(
            Query::new()
                .filter(move |todo: &Todo| filter.keeps(todo))
                .sort_by(|a: &Todo, b: &Todo| a.position.total_cmp(&b.position)),
        )
    });
    let filter = RwSignal::new(Filter::All);
    let shown = move || match filter.get() {
        Filter::All => all.get(),
        Filter::Active => active.get(),
        Filter::Done => done.get(),
    };
    let ids_shown = move || shown().into_iter().map(|(id, _)| id).collect::<Vec<_>>();

    // Every command is one edit of the collection, counted as pending while not synced.
    let commands = Commands {
        todos: todos.clone(),
        all,
        pending,
        synced,
    };

    let add = {
        let commands = commands.clone();
        move |event: KeyboardEvent| {
            if event.key() != "Enter" {
                return;
            }
            let input = event_target::<web_sys::HtmlInputElement>(&event);
            let title = input.value().trim().to_string();
            if !title.is_empty() {
                commands.add(title);
                input.set_value("");
            }
        }
    };

    view! {
        <header>
            <h1>"ycord todos"</h1>
            <span class="room">"room " <code>{room}</code></span>
            <SyncStatus status=status.status synced=status.synced />
            <span class="pending" data-pending=move || pending.count().get()>
                {move || match pending.count().get() {
                    0 => "all changes sent".to_string(),
                    1 => "1 change not yet sent".to_string(),
                    n => format!("{n} changes not yet sent"),
                }}
            </span>
        </header>
        <main>
            <input class="new-todo" placeholder="What needs doing? (Enter adds it)" on:keydown=add />
            <nav class="filters">
                {Filter::ALL
                    .into_iter()
                    .map(|choice| {
                        view! {
                            <button
                                class="filter"
                                class:selected=move || filter.get() == choice
                                on:click=move |_| filter.set(choice)
                            >
                                {choice.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <ul class="todo-list">
                <For
                    each=ids_shown
                    key=|id| id.clone()
                    children=move |id| view! { <Row id=id commands=commands.clone() /> }
                />
            </ul>
            <footer>
                {move || {
                    let left = active.get().len();
                    if left == 1 { "1 todo left".to_string() } else { format!("{left} todos left") }
                }}
            </footer>
        </main>
    }
}

/// One todo: its checkbox, its editable title, and buttons to move or remove it. Reads only its
/// own record, so an edit of another todo does not re-render it.
#[component]
fn Row(id: String, commands: Commands) -> impl IntoView {
    let todo = commands.todos.signal(&id);
    let done = move || todo.get().is_some_and(|t| t.done);
    let title = move || todo.get().map(|t| t.title).unwrap_or_default();
    let (toggle, rename, up, down, remove) = (
        commands.clone(),
        commands.clone(),
        commands.clone(),
        commands.clone(),
        commands,
    );
    let (id_toggle, id_rename, id_up, id_down, id_attr) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <li class="todo" class:done=done data-id=id_attr>
            <input type="checkbox" class="toggle" prop:checked=done on:change=move |_| toggle.toggle(&id_toggle) />
            <input
                class="title"
                prop:value=title
                on:change=move |event: Event| {
                    let value = event_target_value(&event);
                    rename.rename(&id_rename, value.trim().to_string());
                }
            />
            <button class="up" title="Move up" on:click=move |_| up.shift(&id_up, -1)>"↑"</button>
            <button class="down" title="Move down" on:click=move |_| down.shift(&id_down, 1)>"↓"</button>
            <button class="remove" title="Remove" on:click=move |_| remove.remove(&id)>"×"</button>
        </li>
    }
}

/// The edits the page makes.
#[derive(Clone)]
struct Commands {
    todos: YCollection<Todo>,
    /// Every todo in list order, for positions.
    all: Signal<Vec<(String, Todo)>>,
    pending: Pending,
    synced: Signal<bool>,
}

impl Commands {
    fn add(&self, title: String) {
        let positions: Vec<f64> = self
            .all
            .get_untracked()
            .iter()
            .map(|(_, t)| t.position)
            .collect();
        let todo = Todo {
            title,
            done: false,
            position: position_at(&positions, positions.len()),
        };
        self.edited(self.todos.create(&todo).map(drop));
    }

    fn toggle(&self, id: &str) {
        self.edited(
            self.todos
                .update_with(id, |todo| todo.done = !todo.done)
                .map(drop),
        );
    }

    fn rename(&self, id: &str, title: String) {
        if title.is_empty() {
            return self.remove(id);
        }
        self.edited(
            self.todos
                .update_with(id, |todo| todo.title = title)
                .map(drop),
        );
    }

    /// Moves a todo `by` places in the whole list (negative: up).
    fn shift(&self, id: &str, by: isize) {
        let all = self.all.get_untracked();
        let Some(from) = all.iter().position(|(other, _)| other == id) else {
            return;
        };
        let to = from.saturating_add_signed(by).min(all.len() - 1);
        if to == from {
            return;
        }
        let others: Vec<f64> = all
            .iter()
            .filter(|(other, _)| other != id)
            .map(|(_, t)| t.position)
            .collect();
        let position = position_at(&others, to);
        self.edited(
            self.todos
                .update_with(id, |todo| todo.position = position)
                .map(drop),
        );
    }

    fn remove(&self, id: &str) {
        self.todos.remove(id);
        self.edited(Ok(()));
    }

    fn edited(&self, result: Result<(), ycord_leptos::BindingError>) {
        match result {
            Ok(()) => self.pending.edited(self.synced.get_untracked()),
            Err(error) => crate::page::warn(&format!("edit failed: {error}")),
        }
    }
}
