import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @flagline/web` serves the UI with hot reload and forwards API calls to a local `flagline serve`.
const apiTarget = 'http://127.0.0.1:4747';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      output: {
        // Libraries change less often than the UI: in chunks of their own, a browser keeps them across UI releases.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'tanstack', test: /node_modules[\\/]@tanstack[\\/]/ },
          ],
        },
      },
    },
  },
  server: { proxy: { '/api': apiTarget, '/healthz': apiTarget } },
});
