import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const ActionsPage = () => createElement(Placeholder, { title: 'Action history' });
export const ActionPage = () => createElement(Placeholder, { title: 'Action' });
export const ResourcePage = () => createElement(Placeholder, { title: 'Resource' });
