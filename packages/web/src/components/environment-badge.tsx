import { Badge } from './ui';

/** The environment's name, red for production so nobody changes it by mistake. */
export function EnvironmentBadge({ environment }: { environment: string }) {
  return <Badge tone={environment === 'production' ? 'danger' : 'info'}>{environment}</Badge>;
}
