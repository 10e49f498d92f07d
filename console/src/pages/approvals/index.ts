import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const ApprovalsPage = () => createElement(Placeholder, { title: 'Approvals' });
export const ApprovalPage = () => createElement(Placeholder, { title: 'Approval' });
