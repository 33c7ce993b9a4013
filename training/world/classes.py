"""Source classes of the synthetic world and the timbres each may use.

Each instrument class has General MIDI programs of its family (extra timbres for robustness, as the
world's notes advise). Some timbres are HELD OUT of training and only used to measure how the model
does on variation it never heard (the number that predicts users' files).
"""

CLASSES = ['guitar', 'violin', 'trumpet', 'saxophone', 'piano', 'accordion', 'banjo', 'flute',
           'drums', 'speaker']
CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}

GLYPHS = {
    'guitar': '\U0001F3B8', 'violin': '\U0001F3BB', 'trumpet': '\U0001F3BA',
    'saxophone': '\U0001F3B7', 'piano': '\U0001F3B9', 'accordion': '\U0001FA97',
    'banjo': '\U0001FA95', 'flute': '\U0001FA88', 'drums': '\U0001F941',
    'speaker': '\U0001F610',  # closed mouth
}
SPEAKER_OPEN_GLYPH = '\U0001F62E'

# (bank, program) timbres from FluidR3_GM. The first is the world's canonical program.
TIMBRES = {
    'guitar': [(0, 25), (0, 24), (0, 26), (0, 27)],
    'violin': [(0, 40), (0, 41), (0, 42), (0, 110)],
    'trumpet': [(0, 56), (0, 57), (0, 59), (0, 61)],
    'saxophone': [(0, 65), (0, 64), (0, 66), (0, 67)],
    'piano': [(0, 0), (0, 1), (0, 2), (0, 4)],
    'accordion': [(0, 21), (0, 23), (0, 22), (0, 20)],
    'banjo': [(0, 105), (0, 106), (0, 107), (0, 104)],
    'flute': [(0, 73), (0, 72), (0, 74), (0, 75)],
    'drums': [(128, 0), (128, 8), (128, 16), (128, 32), (128, 40), (128, 25)],
}
# The last timbre of each class is held out of training (see docs/models.md, "held-out variation").
HELD_OUT_TIMBRE = {c: len(t) - 1 for c, t in TIMBRES.items()}

# Other sound sets Debian ships (none of them reserved for judging; licences in docs/data.md), as
# (set, bank, program). They come after FluidR3's timbres, so the FluidR3 indices above never move.
# 'csound' (a GM bank made from other samples) is held out whole: the 'unseen' variation measures
# how the models do on a sound set they never heard, which is what users' files are.
SOUND_SETS = {
    'fluidr3': ('fluidsynth', '/usr/share/sounds/sf2/FluidR3_GM.sf2'),
    'opl3': ('fluidsynth', '/usr/share/sounds/sf2/OPL-3_FM_128M.sf2'),
    'freepats': ('timidity', '/etc/timidity/freepats.cfg'),
    'avl-black-pearl': ('fluidsynth', '/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2'),
    'avl-red-zeppelin': ('fluidsynth', '/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2'),
    'csound': ('fluidsynth', '/usr/share/sounds/sf2/sf_GMbank.sf2'),
}
UNSEEN_SET = 'csound'
_EXTRA = {
    'guitar': [(0, 25), (0, 24), (0, 27)], 'violin': [(0, 40), (0, 41)], 'trumpet': [(0, 56), (0, 59)],
    'saxophone': [(0, 65), (0, 66)], 'piano': [(0, 0), (0, 1)], 'accordion': [(0, 21), (0, 23)],
    'banjo': [(0, 105)], 'flute': [(0, 73), (0, 72)], 'drums': [(128, 0)],
}
EXTRA_TIMBRES = {
    cls: ([('opl3', b, p) for b, p in progs] + [('freepats', b, p) for b, p in progs]
          + ([('avl-black-pearl', 0, 0), ('avl-red-zeppelin', 0, 0)] if cls == 'drums' else [])  # kits at preset 0:0
          + [(UNSEEN_SET, b, p) for b, p in progs])
    for cls, progs in _EXTRA.items()}

# Real recordings of people playing, from Debian packages (none reserved for judging; licences in
# docs/data.md), as (set, what, 0): 'what' is a glob of recordings under the set's folder (whole
# phrases and notes of unknown pitch, placed in time like recorded speech), or for 'hydrogen' a drum
# kit recorded hit by hit (its hits become notes like a soundfont kit's). A class takes its GM
# family (violin: viola, cello; trumpet: brass; accordion: harmonica; banjo: other plucked lutes,
# as the GM family has sitar, shamisen and koto; Debian ships no banjo recording we may use).
# REAL_HELD_OUT are never trained on: the 'real' variation measures them (saxophone has one
# recording only, so it is trained on and 'real' scenes have no saxophone).
SOUND_SETS.update({
    'lmms': ('recording', '/usr/share/lmms/samples'),
    'qabcs': ('recording', '/usr/share/qabcs/abcs/all/noises'),
    'hydrogen': ('hydrogen', '/usr/share/hydrogen/data/drumkits'),
})
REAL_TIMBRES = {
    'guitar': [('lmms', 'instruments/steel_guitar*.ogg'), ('lmms', 'latin/latin_guitar0*.ogg'),
               ('qabcs', 'electric_guitar.ogg'), ('qabcs', 'ukulele.ogg'), ('qabcs', 'guitar.ogg')],
    'violin': [('lmms', 'instruments/violin_*.ogg'), ('lmms', 'instruments/cello01.ogg'), ('qabcs', 'cello.ogg'),
               ('qabcs', 'gamba.ogg'), ('qabcs', 'violin.ogg')],
    'trumpet': [('lmms', 'instruments/trumpet01.ogg'), ('lmms', 'latin/latin_brass01.ogg'),
                ('qabcs', 'natural_horn.ogg'), ('qabcs', 'trumpet.ogg')],
    'saxophone': [('qabcs', 'saxophone.ogg')],
    'piano': [('lmms', 'instruments/piano0*.ogg'), ('lmms', 'instruments/e_piano_accord0*.ogg'),
              ('qabcs', 'grand_piano.ogg'), ('qabcs', 'piano.ogg')],
    'accordion': [('qabcs', 'accordion.ogg'), ('qabcs', 'harmonica.ogg'), ('qabcs', 'squeezebox.ogg')],
    'banjo': [('qabcs', 'lute.ogg'), ('qabcs', 'yueqin.ogg'), ('qabcs', 'zither.ogg'), ('qabcs', 'topshuur.ogg')],
    'flute': [('lmms', 'instruments/flute01.ogg'), ('qabcs', 'western_concert_flute.ogg'), ('qabcs', 'recorder.ogg'),
              ('qabcs', 'quena.ogg'), ('qabcs', 'ney.ogg'), ('qabcs', 'flute.ogg')],
    'drums': [('hydrogen', k) for k in ('GMRockKit', 'ColomboAcousticDrumkit', 'Millo-Drums_v.1', 'Millo_MultiLayered2',
                                        'Millo_MultiLayered3', 'BJA_Pacific', 'rumpf_kit_z01_h2', 'ForzeeStereo')],
}
REAL_HELD_OUT = {('qabcs', 'guitar.ogg'), ('qabcs', 'violin.ogg'), ('qabcs', 'trumpet.ogg'), ('qabcs', 'piano.ogg'),
                 ('qabcs', 'squeezebox.ogg'), ('qabcs', 'topshuur.ogg'), ('qabcs', 'flute.ogg'),
                 ('hydrogen', 'ForzeeStereo')}

# Every timbre as (set, bank, program), recordings as (set, what, 0); the asset bank's timbre index
# refers to this list.
ALL_TIMBRES = {c: [('fluidr3', b, p) for b, p in TIMBRES[c]] + EXTRA_TIMBRES[c]
               + [(s, what, 0) for s, what in REAL_TIMBRES[c]] for c in TIMBRES}
UNSEEN_TIMBRES = {c: [i for i, t in enumerate(ts) if t[0] == UNSEEN_SET] for c, ts in ALL_TIMBRES.items()}
REAL_HELD_OUT_TIMBRES = {c: [i for i, t in enumerate(ts) if t[:2] in REAL_HELD_OUT] for c, ts in ALL_TIMBRES.items()}
INSTRUMENTS_WITH_REAL_HELD_OUT = [c for c in CLASSES if REAL_HELD_OUT_TIMBRES.get(c)]

# Usual MIDI note ranges (low, high) for phrases.
RANGES = {
    'guitar': (40, 76), 'violin': (55, 88), 'trumpet': (55, 82), 'saxophone': (49, 80),
    'piano': (36, 88), 'accordion': (48, 81), 'banjo': (48, 79), 'flute': (60, 93),
}
DRUM_NOTES = [36, 38, 40, 42, 46, 45, 48, 50, 49, 51, 39, 37]

# espeak-ng voices (language + variant). The last is held out of training.
VOICES = ['en-us+m1', 'en-us+f2', 'en+m3', 'en+f3', 'en-gb-scotland+m4', 'en+f4', 'de+m2',
          'fr+f1', 'es+m5', 'it+f5', 'en-us+m6', 'en+klatt2', 'nl+m7', 'en-029+f1']
HELD_OUT_VOICE = len(VOICES) - 1

# More espeak-ng voices for the 'wide' training variation (after the list above, so its indices stay),
# then real recorded voices: KLettres' native speakers reading letters and syllables, one speaker per
# language. Some languages are held out for the 'unseen' variation, with the held-out espeak voice.
EXTRA_ESPEAK_VOICES = ['en-us+f1', 'en+m2', 'en+f5', 'pt+m1', 'pl+f2', 'sv+m3', 'en-us+croak', 'en+whisper',
                       'de+f3', 'es-419+m4', 'en+klatt4', 'cs+f4']
REAL_VOICES = ['ar', 'cs', 'da', 'en', 'en_GB', 'es', 'fr', 'he', 'hu', 'it', 'lt', 'ml', 'nb', 'nds',
               'nl', 'pt_BR', 'ru', 'tn', 'uk', 'de']
UNSEEN_REAL_VOICES = ['en_GB', 'it', 'ru', 'de']
# Then KTuberling's native speakers naming the pictures' objects (one speaker per language); four
# are held out for the 'real' variation, with KLettres' unseen speakers.
KTUBERLING_VOICES = ['ca', 'da', 'de', 'el', 'gl', 'lt', 'nn', 'sl', 'wa', 'es', 'fi', 'ga', 'it', 'nds', 'nl',
                     'pt', 'ro', 'sr', 'sv', 'en', 'fr', 'ru', 'uk']
REAL_HELD_OUT_KTUBERLING = ['en', 'fr', 'ru', 'uk']
ALL_VOICES = (VOICES + EXTRA_ESPEAK_VOICES + ['real:' + v for v in REAL_VOICES]
              + ['ktuberling:' + v for v in KTUBERLING_VOICES])
UNSEEN_VOICES = [HELD_OUT_VOICE] + [ALL_VOICES.index('real:' + v) for v in UNSEEN_REAL_VOICES]
REAL_HELD_OUT_VOICES = (UNSEEN_VOICES[1:]
                        + [ALL_VOICES.index('ktuberling:' + v) for v in REAL_HELD_OUT_KTUBERLING])

# What the 'wide' training never draws: the FluidR3 held-out program, the unseen sound set and
# voices, and the held-out real recordings.
NEVER_TRAINED = {c: sorted({HELD_OUT_TIMBRE[c]} | set(UNSEEN_TIMBRES[c]) | set(REAL_HELD_OUT_TIMBRES[c]))
                 for c in TIMBRES}
NEVER_TRAINED_VOICES = sorted(set(UNSEEN_VOICES) | set(REAL_HELD_OUT_VOICES))
