export { ApprovalsPage } from './approvals-page.tsx';
export { ApprovalPage } from './approval-page.tsx';
