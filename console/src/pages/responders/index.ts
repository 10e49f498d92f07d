import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const RespondersPage = () => createElement(Placeholder, { title: 'Responders' });
