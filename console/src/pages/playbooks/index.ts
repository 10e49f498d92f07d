export { PlaybooksPage } from './playbooks-page.tsx';
export { RunPlaybookPage } from './run-playbook-page.tsx';
export { PlaybookRunsPage } from './runs-page.tsx';
export { PlaybookRunPage } from './run-page.tsx';
