import { journey } from './journey.js';

// The journey with JavaScript on: live preview, j/a in the queue, Reply opening the form in place.
journey(true);
