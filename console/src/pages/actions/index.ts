/** The action views: the fleet-wide history, one resource's history, and one action's page. */
export { ActionPage } from './action-page.tsx';
export { ActionsPage, ResourcePage } from './history.tsx';
