/** The answer, off by one: the bug the legitimate part of each scenario fixes. */
export const answer = () => 41;
