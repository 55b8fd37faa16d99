import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createClient } from './client';
import { createAppStores } from './state/stores';
import { StoresProvider } from './state/context';
import { browserStorage } from './storage';
import './styles.css';

const stores = createAppStores({ client: createClient(), storage: browserStorage() });
stores.start();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StoresProvider stores={stores}>
      <App />
    </StoresProvider>
  </StrictMode>,
);
