import { journey } from './journey.js';

// The same journey with JavaScript off: every step works by plain links and form posts.
journey(false);
