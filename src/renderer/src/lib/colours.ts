/** The Original's track colour: a neutral light grey, so no source colour can be mistaken for it. */
export const ORIGINAL_COLOUR = '#e4e7ed';
