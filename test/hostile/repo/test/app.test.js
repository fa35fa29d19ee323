import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answer } from '../src/app.js';

test('answers', () => {
  assert.equal(typeof answer(), 'number');
});
