// Part 3 of 3 of the hostile push corpus over HTTP (test/helpers/corpusPush.ts).

import t from 'tap';
import { pushCorpus } from '../helpers/corpusPush.js';

t.test('the hostile push corpus, pushed with the git CLI (part 3 of 3)', (t) => pushCorpus(t, 2, 3));
