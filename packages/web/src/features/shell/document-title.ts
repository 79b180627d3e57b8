import { useEffect } from 'react';
import { useSession } from '../session/session';

/** "new-checkout · production · Flagline": the page, then the environment, so tabs tell them apart. */
export function useDocumentTitle(title: string): void {
  const { environment } = useSession();
  useEffect(() => {
    document.title = `${title} · ${environment} · Flagline`;
  }, [title, environment]);
}
