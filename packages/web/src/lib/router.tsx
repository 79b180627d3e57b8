import {
  type AnchorHTMLAttributes,
  createContext,
  type MouseEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';

interface RouterState {
  /** pathname + search of the current location. */
  location: string;
  navigate(to: string, options?: { replace?: boolean }): void;
}

const RouterContext = createContext<RouterState>({ location: '/', navigate: () => undefined });

const current = () => `${window.location.pathname}${window.location.search}`;

/** A few routes need no library: the History API plus one context. The server answers every UI path with index.html. */
export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const onPop = () => setLocation(current());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to: string, options: { replace?: boolean } = {}) => {
    if (to === current()) return;
    if (options.replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setLocation(current());
    window.scrollTo(0, 0);
  }, []);
  const value = useMemo(() => ({ location, navigate }), [location, navigate]);
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export const useRouter = () => useContext(RouterContext);

export function usePathname(): string {
  return useRouter().location.split('?')[0] ?? '/';
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & {
  to: string;
  /** Marks the link as the current page (aria-current) when the path matches. */
  activeWhen?: 'exact' | 'prefix' | ((pathname: string) => boolean);
};

/** A real <a href> (so open-in-new-tab and keyboard work) that navigates in place on a plain click. */
export function Link({ to, activeWhen, onClick, children, ...props }: LinkProps) {
  const { navigate } = useRouter();
  const pathname = usePathname();
  const active =
    typeof activeWhen === 'function'
      ? activeWhen(pathname)
      : activeWhen === 'exact'
        ? pathname === to
        : activeWhen === 'prefix'
          ? pathname === to || pathname.startsWith(`${to}/`)
          : false;
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    )
      return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handleClick} aria-current={active ? 'page' : undefined} {...props}>
      {children}
    </a>
  );
}
