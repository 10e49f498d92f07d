import AppLayout from '@cloudscape-design/components/app-layout';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { applyMode, Mode } from '@cloudscape-design/global-styles';
import { useEffect, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { useSession, useSessionControls } from './auth/session.ts';

const modeKey = 'response-actions.colour-mode';

/** The dark-mode choice (not a secret, so kept in localStorage); by default the system's. */
function initialMode(): Mode {
  const stored = window.localStorage.getItem(modeKey);
  if (stored === 'dark') return Mode.Dark;
  if (stored === 'light') return Mode.Light;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? Mode.Dark : Mode.Light;
}

/** The frame of every signed-in page: who is signed in, dark mode, sign out, and the navigation. */
export function Shell({ children }: { readonly children: ReactNode }) {
  const session = useSession();
  const { signOut } = useSessionControls();
  const navigate = useNavigate();
  const location = useLocation();
  const [mode, setMode] = useState<Mode>(initialMode);
  useEffect(() => {
    applyMode(mode);
    document.documentElement.dataset['colourMode'] = mode;
  }, [mode]);

  const follow = (event: CustomEvent<{ href?: string; external?: boolean }>): void => {
    const href = event.detail.href;
    if (href === undefined || event.detail.external === true || !href.startsWith('/')) return;
    event.preventDefault();
    void navigate(href);
  };

  return (
    <>
      <div id="ra-top-navigation">
        <TopNavigation
          identity={{
            href: '/actions',
            title: 'response-actions',
            // The identity's event carries no href (unlike a link's): without this it loaded the page afresh and signed out.
            onFollow: (event) => {
              event.preventDefault();
              void navigate('/actions');
            },
          }}
          i18nStrings={{ overflowMenuTriggerText: 'More', overflowMenuTitleText: 'All' }}
          utilities={[
            {
              type: 'button',
              text: mode === Mode.Dark ? 'Light mode' : 'Dark mode',
              ariaLabel: mode === Mode.Dark ? 'Switch to light mode' : 'Switch to dark mode',
              onClick: () => {
                const next = mode === Mode.Dark ? Mode.Light : Mode.Dark;
                window.localStorage.setItem(modeKey, next === Mode.Dark ? 'dark' : 'light');
                setMode(next);
              },
            },
            {
              type: 'menu-dropdown',
              text: session.sub,
              description: [...session.scopes].join(' '),
              iconName: 'user-profile',
              items: [{ id: 'sign-out', text: 'Sign out' }],
              onItemClick: ({ detail }) => {
                if (detail.id === 'sign-out') signOut('signed-out');
              },
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#ra-top-navigation"
        toolsHide
        ariaLabels={{
          navigation: 'Navigation',
          navigationClose: 'Close navigation',
          navigationToggle: 'Open navigation',
          notifications: 'Notifications',
          tools: 'Help',
          toolsClose: 'Close help',
          toolsToggle: 'Open help',
        }}
        navigation={
          <SideNavigation
            activeHref={activeHref(location.pathname)}
            header={{ href: '/actions', text: 'Incident response' }}
            onFollow={follow}
            items={[
              { type: 'link', text: 'Action history', href: '/actions' },
              { type: 'link', text: 'Run an action', href: '/run' },
              { type: 'link', text: 'Playbooks', href: '/playbooks' },
              { type: 'link', text: 'Playbook runs', href: '/playbook-runs' },
              { type: 'link', text: 'Approvals', href: '/approvals' },
              { type: 'link', text: 'Automation decisions', href: '/events' },
              { type: 'link', text: 'Responders', href: '/responders' },
            ]}
          />
        }
        content={children}
      />
    </>
  );
}

function activeHref(pathname: string): string {
  const prefixes = ['/actions', '/resources', '/run', '/playbooks', '/playbook-runs', '/approvals', '/events', '/responders'];
  const match = prefixes.filter((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`)).sort((a, b) => b.length - a.length)[0];
  if (match === '/resources') return '/actions';
  return match ?? '/actions';
}
