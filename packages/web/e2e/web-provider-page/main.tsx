import { createFlaglineWebProvider } from '@flagline/sdk/web';
import { OpenFeatureProvider, useStringFlagValue } from '@openfeature/react-sdk';
import { type EvaluationContext, type JsonValue, OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { createRoot } from 'react-dom/client';

/**
 * The page the web provider e2e test drives: the plain web SDK writes every value to window.flagline (and #values),
 * and a React component on @openfeature/react-sdk's standard hooks shows one value, both on the Flagline provider.
 */

export interface PageConfig {
  url: string;
  token: string;
  context: EvaluationContext;
}

export interface PageState {
  status: 'loading' | 'ready' | 'error';
  error?: string;
  values: { checkout: boolean; greeting: string; pageSize: number; theme: JsonValue };
  /** Every ConfigurationChanged event's flagsChanged. */
  changes: string[][];
}

declare global {
  interface Window {
    flaglineConfig: PageConfig;
    flagline: PageState;
  }
}

function Greeting() {
  const greeting = useStringFlagValue('greeting', 'none');
  return <span>{greeting}</span>;
}

const client = OpenFeature.getClient();
const state: PageState = {
  status: 'loading',
  values: { checkout: false, greeting: 'none', pageSize: 0, theme: null },
  changes: [],
};
window.flagline = state;

function read(): void {
  state.values = {
    checkout: client.getBooleanValue('new-checkout', false),
    greeting: client.getStringValue('greeting', 'none'),
    pageSize: client.getNumberValue('page-size', 0),
    theme: client.getObjectValue<JsonValue>('theme', null),
  };
  const values = document.getElementById('values');
  if (values) values.textContent = JSON.stringify(state.values);
}

client.addHandler(ProviderEvents.ConfigurationChanged, (details) => {
  state.changes.push(details?.flagsChanged ?? []);
  read();
});

async function start(): Promise<void> {
  const { url, token, context } = window.flaglineConfig;
  await OpenFeature.setContext(context);
  try {
    await OpenFeature.setProviderAndWait(createFlaglineWebProvider({ url, token, cacheMode: 'disabled' }));
  } catch (error) {
    state.status = 'error';
    state.error = String(error);
    return;
  }
  read();
  state.status = 'ready';
  const root = document.getElementById('react-greeting');
  if (root) {
    createRoot(root).render(
      <OpenFeatureProvider>
        <Greeting />
      </OpenFeatureProvider>,
    );
  }
}

void start();
