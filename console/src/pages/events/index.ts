import { createElement } from 'react';
import { Placeholder } from '../placeholder.tsx';
export const EventsPage = () => createElement(Placeholder, { title: 'Automation decisions' });
