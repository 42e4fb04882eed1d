// The live connection: one EventSource on /api/v1/events for the whole console. Pages subscribe to its events;
// the banner and the indicator in the top bar say whether it is connected.
//
// The browser's EventSource reconnects by itself after a dropped connection, sending the id of the last event it
// saw (Last-Event-ID); the server replays what was missed and says so in its first event, `hello`
// ({"resumed": true}). When it cannot ({"resumed": false}: it restarted, or too much happened meanwhile), the
// console tells the pages to `resync`: read their state again. When the EventSource gives up (an HTTP error while
// reconnecting), a new one is opened after a growing delay.

const EVENT_TYPES = ['job', 'node', 'cluster'];

export class Live {
  constructor({banner, indicator}) {
    this.banner = banner;
    this.indicator = indicator;
    this.listeners = new Set();
    this.lastEventId = null;
    this.connectedOnce = false;
    this.retries = 0;
    this.state = 'connecting';
  }

  /** Calls fn(event) for every event ({type: 'job'|'node'|'cluster'|'resync', ...data}); returns the unsubscribe. */
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  connect() {
    this.close();
    this.stopped = false;
    if (this.state === 'off') this.setState('connecting');
    const url = this.lastEventId ? `/api/v1/events?lastEventId=${encodeURIComponent(this.lastEventId)}` : '/api/v1/events';
    const source = new EventSource(url);
    this.source = source;
    source.addEventListener('hello', e => {
      const hello = JSON.parse(e.data);
      this.lastEventId = e.lastEventId || this.lastEventId;
      const missedSome = this.connectedOnce && !hello.resumed;
      this.connectedOnce = true;
      this.retries = 0;
      this.setState('open');
      if (missedSome) this.emit({type: 'resync'});
    });
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, e => {
        this.lastEventId = e.lastEventId || this.lastEventId;
        this.emit({...JSON.parse(e.data), type});
      });
    }
    source.onerror = () => {
      this.setState('lost');
      if (source.readyState === EventSource.CLOSED && !this.stopped) {
        const delay = Math.min(15000, 1000 * 2 ** this.retries++);
        this.reconnect = setTimeout(() => this.connect(), delay);
      }
    };
  }

  /** Closes the connection and stops reconnecting (signed out). */
  disconnect() {
    this.close();
    this.setState('off');
  }

  close() {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.source?.close();
    this.source = null;
  }

  emit(event) {
    for (const fn of this.listeners) {
      try {
        fn(event);
      } catch (e) {
        console.error('live event handler failed', e);
      }
    }
  }

  setState(state) {
    this.state = state;
    this.banner.hidden = state !== 'lost';
    this.indicator.dataset.state = state;
    this.indicator.querySelector('.live-text').textContent =
      state === 'open' ? 'Live' : state === 'lost' ? 'Reconnecting…' : state === 'off' ? 'Not signed in' : 'Connecting…';
  }
}
