// Word lists for the sentence rules. Abbreviations are matched lower-cased, without the
// final period ("e.g." is listed as "e.g"). Abbreviations that often end a sentence
// ("etc.", "Inc.", "Ltd.", "Jr.", "Ph.D.", "a.m.") are deliberately absent: they are
// treated like any word, so they end a sentence when the next word is capitalized and
// not when it is lower-case ("Acme Inc. is" / "Acme Inc. The").

/** Titles written before a name: a period after them never ends a sentence ("Dr. Smith"). */
export const TITLES: ReadonlySet<string> = new Set([
  'mr',
  'mrs',
  'ms',
  'mx',
  'dr',
  'prof',
  'st',
  'mt',
  'rev',
  'fr',
  'hon',
  'gen',
  'col',
  'maj',
  'capt',
  'cpt',
  'lt',
  'sgt',
  'cmdr',
  'adm',
  'sen',
  'rep',
  'gov',
  'pres',
  'supt',
]);

/** Abbreviations always followed by more of the same sentence ("e.g. Apples", "vs. Brazil"). */
export const CONTINUATIONS: ReadonlySet<string> = new Set([
  'e.g',
  'i.e',
  'cf',
  'viz',
  'vs',
  'approx',
  'incl',
  'esp',
  'a.k.a',
]);

/** Abbreviations that introduce a number ("No. 5", "Fig. 3", "pp. 10-12"). */
export const BEFORE_NUMBER: ReadonlySet<string> = new Set([
  'no',
  'nos',
  'fig',
  'figs',
  'eq',
  'vol',
  'vols',
  'ch',
  'sec',
  'p',
  'pp',
  'art',
  'ref',
  'ca',
]);

/**
 * Capitalized words that usually begin a sentence. A single capital letter or a dotted
 * acronym ("J.", "U.S.") ends a sentence only when one of these follows: "the U.S. The
 * weather" splits, "the U.S. Army" and "J. R. R. Tolkien" do not. Single letters are
 * left out on purpose: "I" and "A" are initials too often ("J. A. Smith").
 */
export const SENTENCE_STARTERS: ReadonlySet<string> = new Set([
  'The',
  'This',
  'That',
  'These',
  'Those',
  'There',
  'Then',
  'It',
  'Its',
  'He',
  'She',
  'His',
  'Her',
  'They',
  'Their',
  'We',
  'Our',
  'You',
  'Your',
  'My',
  'But',
  'And',
  'However',
  'So',
  'If',
  'In',
  'On',
  'At',
  'As',
  'For',
  'When',
  'What',
  'Why',
  'How',
  'Where',
  'Who',
  'After',
  'Before',
  'Also',
  'Today',
]);
