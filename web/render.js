// Rendering the page from the app's state: the view (a room or a whisper conversation),
// the room and people lists, typing, errors. app.js owns the state and calls these after
// each change; the builders of single items are in view.js.
'use strict';

import { listButton, messageItem, whisperItem } from './view.js';

const $ = (id) => document.getElementById(id);

// app: { state, isView(kind, name), dmWith(user), showView(view), joinRoom(name) }
export function createRender(app) {
  const { state } = app;

  function renderAll() {
    renderMyRooms();
    renderAllRooms();
    renderPeople();
    renderView();
  }

  function renderViewHead() {
    const v = state.view;
    const title = $('view-title');
    const meta = $('view-meta');
    const leave = $('leave');
    if (!v) {
      title.textContent = 'No room';
      meta.textContent = '';
      leave.hidden = true;
      return;
    }
    if (v.kind === 'room') {
      const room = state.rooms.get(v.name);
      title.textContent = `#${v.name}`;
      meta.textContent = room ? `${room.members} member${room.members === 1 ? '' : 's'}` : '';
      leave.hidden = false;
      leave.setAttribute('aria-label', `Leave room ${v.name}`);
    } else {
      title.textContent = `Whispers with ${v.name}`;
      meta.textContent = '';
      leave.hidden = true;
    }
    $('compose-input').placeholder = v.kind === 'room' ? `Message #${v.name}` : `Whisper to ${v.name}`;
  }

  function renderView() {
    renderViewHead();
    const list = $('messages');
    const v = state.view;
    const items = [];
    let notice = '';
    if (v && v.kind === 'room') {
      const room = state.rooms.get(v.name);
      if (room) {
        notice = room.notice;
        for (const m of room.messages) items.push(messageItem(m, state.user));
      }
    } else if (v) {
      for (const w of app.dmWith(v.name).items) items.push(whisperItem(w, state.user));
    }
    list.replaceChildren(...items);
    const gap = $('gap-notice');
    gap.textContent = notice;
    gap.hidden = notice === '';
    const scroller = $('messages-scroll');
    scroller.scrollTop = scroller.scrollHeight;
    renderTyping();
  }

  function appendMessage(li) {
    const scroller = $('messages-scroll');
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    $('messages').append(li);
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  // A join/leave line in a room's view (not stored: it is not part of the room's history).
  function roomEvent(room, text) {
    if (app.isView('room', room.name)) {
      const li = document.createElement('li');
      li.className = 'event';
      li.textContent = text;
      appendMessage(li);
      renderViewHead();
    }
  }

  function renderMyRooms() {
    const items = [];
    for (const room of state.rooms.values()) {
      const unread = room.unread ? `, ${room.unread} unread` : '';
      items.push(listButton(`#${room.name}`, `Room ${room.name}, ${room.members} members${unread}`,
        app.isView('room', room.name), () => app.showView({ kind: 'room', name: room.name }), room.unread));
    }
    for (const [user, dm] of state.dms) {
      const unread = dm.unread ? `, ${dm.unread} unread` : '';
      items.push(listButton(`@${user}`, `Whispers with ${user}${unread}`, app.isView('dm', user),
        () => app.showView({ kind: 'dm', name: user }), dm.unread));
    }
    $('my-rooms').replaceChildren(...items);
  }

  function renderAllRooms() {
    const items = state.allRooms.map((r) => {
      const joined = state.rooms.has(r.room);
      return listButton(`#${r.room} (${r.members})`,
        `${joined ? 'Open' : 'Join'} room ${r.room}, ${r.members} members`, app.isView('room', r.room),
        () => (joined ? app.showView({ kind: 'room', name: r.room }) : app.joinRoom(r.room)));
    });
    $('all-rooms').replaceChildren(...items);
  }

  function renderPeople() {
    $('people-count').textContent = state.usersCount ? `(${state.usersCount})` : '';
    const items = state.users.filter((u) => u !== state.user).map((u) =>
      listButton(`@${u}`, `Whisper to ${u}`, app.isView('dm', u), () => app.showView({ kind: 'dm', name: u })));
    $('people').replaceChildren(...items);
  }

  function renderTyping() {
    const el = $('typing');
    const v = state.view;
    const who = v && v.kind === 'room' ? state.typing.get(v.name) : null;
    const now = Date.now();
    const names = [];
    if (who) {
      for (const [user, until] of who) {
        if (until > now) names.push(user);
        else who.delete(user);
      }
    }
    el.textContent = names.length === 0 ? '' :
      names.length === 1 ? `${names[0]} is typing…` :
      names.length <= 3 ? `${names.join(', ')} are typing…` : 'Several people are typing…';
  }

  function clearTyping(room, user) {
    const who = state.typing.get(room);
    if (who && who.delete(user) && app.isView('room', room)) renderTyping();
  }

  function showError(text) {
    const el = $('chat-error');
    el.textContent = text;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { el.textContent = ''; }, 6000);
  }

  return { renderAll, renderViewHead, renderView, appendMessage, roomEvent, renderMyRooms, renderAllRooms, renderPeople, renderTyping, clearTyping, showError };
}
