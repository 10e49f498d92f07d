export { RespondersPage } from './responders-page.tsx';
