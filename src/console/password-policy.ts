import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import * as dutch from '@zxcvbn-ts/language-nl-be';

const MIN_PASSWORD_LENGTH = 10;
/**
 * zxcvbn's scale: 3 is "safely unguessable: moderate protection from an offline slow-hash
 * scenario" (fewer than 10^10 guesses), which is what a stolen scrypt table would face.
 */
const MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;

/** Built on first use: the dictionaries take a moment to load, and only setting a password needs them. */
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary, ...dutch.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

/**
 * Why a password is refused, or undefined when it is good enough. A maintained estimator (common
 * passwords, Dutch and English words, names, keyboard walks, dates, repeats) rather than a list of
 * our own: `aaaaaaaaaa` and `Welkom01!!` are refused. `related` are words an attacker would try
 * first (the agent's id and name, the product's name).
 */
export function passwordProblem(password: string, related: string[]): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  const result = strength().check(password, related);
  if (result.score >= MIN_SCORE) return undefined;
  const hints = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
  return `the password is too easy to guess${hints ? `: ${hints}` : ''}`;
}
