/** The runner host and cluster responders share: `runResponder`, its in-process variant, and their parts. */
export { runResponder, ResponderStartError, type RunResponderOptions } from './runner.ts';
export { startInProcessResponder, type InProcessResponder } from './in-process.ts';
export { ResponderApi, ResponderApiError, type TokenSource } from './api-client.ts';
export { ActionJournal, type JournalEntry } from './journal.ts';
export { checkApiUrl } from './api-url.ts';
export { queueWorkSource, SqsWorkSource, type WorkMessage, type WorkSource } from './work-source.ts';
