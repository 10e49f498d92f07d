import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const PlaybooksPage = () => createElement(Placeholder, { title: 'Playbooks' });
export const RunPlaybookPage = () => createElement(Placeholder, { title: 'Run a playbook' });
export const PlaybookRunsPage = () => createElement(Placeholder, { title: 'Playbook runs' });
export const PlaybookRunPage = () => createElement(Placeholder, { title: 'Playbook run' });
