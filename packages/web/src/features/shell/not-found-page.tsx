import { Link, useLocation } from '@tanstack/react-router';
import { useDocumentTitle } from './document-title';

export function NotFoundPage() {
  const pathname = useLocation({ select: (location) => location.pathname });
  useDocumentTitle('Not found');
  return (
    <div className="card">
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is nothing at <code>{pathname}</code>. <Link to="/">Go to the flags</Link>.
      </p>
    </div>
  );
}
