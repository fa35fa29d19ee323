// The simulated Claude of the demo: the moves a model makes to fix the sample issue. Each reply is sent as a
// real streaming response; the action executes the tool calls in the checkout, so results, diff and receipt are real.
import { bash, strReplace, text, thinking, view } from '../test/sim/anthropic.mjs';

const NEW_TEST = `test('trims dashes at both ends', () => {
  assert.equal(slugify('  Hello, World!  '), 'hello-world');
});

`;

export const scriptedFix = [
  { content: [thinking('The report says slugify keeps a dash at the end. Read the function first.'), view('src/slugify.js')] },
  { content: [bash("node -e \"import('./src/slugify.js').then(m => console.log(JSON.stringify(m.slugify('Hello, World!'))))\"")] },
  {
    content: [
      text('The final replace turns the trailing "!" into a dash. Trim dashes at both ends.'),
      strReplace('src/slugify.js', ".replace(/[^a-z0-9]+/g, '-');", ".replace(/[^a-z0-9]+/g, '-')\n    .replace(/^-+|-+$/g, '');"),
    ],
  },
  {
    content: [
      strReplace('test/slugify.test.js', "test('drops accents'", `${NEW_TEST}test('drops accents'`),
      bash('npm test 2>&1 | tail -n 8'),
    ],
  },
  {
    content: [
      text(
        '`slugify` now trims leading and trailing dashes, so `slugify("Hello, World!")` returns `hello-world`.\n\n' +
          '- `src/slugify.js`: strip dashes at both ends after collapsing separators.\n' +
          '- `test/slugify.test.js`: regression test for titles with punctuation and surrounding spaces.\n\n' +
          '`npm test`: 3 tests pass.',
      ),
    ],
  },
];

/** @param {unknown} _request @param {number} index */
export const scriptedFixReply = (_request, index) => scriptedFix[index] ?? { content: [text('Done.')] };
