import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const RunPage = () => createElement(Placeholder, { title: 'Run an action' });
