export { RunPage } from './run-page.tsx';
