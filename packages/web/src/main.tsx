import './zod-config';
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { sessionQueries } from './api/session';
import { isApiError } from './lib/errors';
import { router } from './router';

const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (error) => {
      // A token revoked mid-session: every query now fails; App shows the sign-in form with the reason.
      if (isApiError(error, 'UNAUTHORIZED')) void queryClient.invalidateQueries({ queryKey: sessionQueries.allMe() });
    },
  }),
  defaultOptions: {
    queries: {
      retry: (count, error) => count < 2 && !isApiError(error, 'UNAUTHORIZED') && !isApiError(error, 'FORBIDDEN'),
      staleTime: 1000,
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
