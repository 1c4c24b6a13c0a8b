// Entry of the panel bundle: read the bootstrap, build the state, render into
// #sendtrace-root, follow the hash, keep the data live.
import { render } from 'preact';
import { createApi } from './api.ts';
import { App } from './app.tsx';
import { readBootstrap } from './bootstrap.ts';
import { AppContext } from './components/context.ts';
import { startLive } from './live.ts';
import { parseRoute } from './route.ts';
import { createAppState, loadRoute } from './state.ts';
import './styles.css';

const boot = readBootstrap(document);
const app = createAppState(boot, createApi(boot), location);
const root = document.getElementById('sendtrace-root') ?? document.body.appendChild(document.createElement('div'));

window.addEventListener('hashchange', () => {
  app.route.value = parseRoute(location.hash, app.start);
  void loadRoute(app);
});

render(
  <AppContext.Provider value={app}>
    <App />
  </AppContext.Provider>,
  root,
);
void loadRoute(app);
startLive(app, typeof EventSource === 'function' ? (url) => new EventSource(url, { withCredentials: true }) : null);
