"""Build the compact asset bank the world is synthesized from (run once, cached).

Notes are rendered from FluidR3_GM and the other sound sets of classes.SOUND_SETS (fluidsynth for
soundfonts, timidity for freepats; one MIDI file per timbre, sliced per note) or read from Hydrogen's
drum kits recorded hit by hit; real players' recordings (classes.REAL_TIMBRES) are kept whole; speech
comes from espeak-ng voices and KLettres' and KTuberling's recorded speakers, sprites from Noto Color
Emoji, photo backgrounds from Debian's wallpaper packages where installed. Everything is stored at the model rate (11025 Hz) in one
compressed .npz (about 150 MB; carry.py packs it small enough to carry to a GPU machine).

    python3 -m training.world.assets --out training/cache/bank.npz
"""
import argparse
import glob
import hashlib
import os
import struct
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .classes import (ALL_TIMBRES, ALL_VOICES, CLASSES, DRUM_NOTES, GLYPHS, RANGES, SOUND_SETS,
                      SPEAKER_OPEN_GLYPH)

SR = 11025
# Recorded speakers: where each voice prefix of classes.ALL_VOICES keeps one speaker's files.
VOICE_FILES = {
    'real': ['/usr/share/klettres/{}/*/*.ogg'],
    'ktuberling': ['/usr/share/ktuberling/sounds/{}/*.' + ext for ext in ('ogg', 'wav', 'opus')],
}
EMOJI_FONT = '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf'
NOTE_ON_S = 1.2      # how long each bank note is held
NOTE_SLOT_S = 1.5    # held + release tail kept
DRUM_SLOT_S = 0.8
VELOCITIES = [45, 80, 115]
PITCH_STEP = 3       # semitones between bank notes; phrases pitch-shift by up to +-1.5


def _var_len(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def write_midi(path, events, channel, bank, program):
    """events: list of (time_s, 'on'|'off', note, velocity). Type-0 SMF, 120 bpm, 960 ticks/s."""
    ticks_per_s = 960
    track = bytearray()
    track += _var_len(0) + bytes([0xFF, 0x51, 0x03]) + (500000).to_bytes(3, 'big')
    if channel != 9:
        track += _var_len(0) + bytes([0xB0 | channel, 0x00, bank])
    track += _var_len(0) + bytes([0xC0 | channel, program])
    last = 0
    for t, kind, note, vel in sorted(events, key=lambda e: (e[0], e[1] == 'on')):
        tick = int(round(t * ticks_per_s))
        status = (0x90 if kind == 'on' else 0x80) | channel
        track += _var_len(tick - last) + bytes([status, note, vel if kind == 'on' else 0])
        last = tick
    track += _var_len(0) + bytes([0xFF, 0x2F, 0x00])
    header = b'MThd' + struct.pack('>IHHH', 6, 0, 1, 480)
    with open(path, 'wb') as f:
        f.write(header + b'MTrk' + struct.pack('>I', len(track)) + bytes(track))


def render_midi(midi_path, wav_path, sound_set):
    engine, path = SOUND_SETS[sound_set]
    if engine == 'fluidsynth':
        cmd = ['fluidsynth', '-ni', '-q', '-R', '0', '-C', '0', '-g', '0.6', '-r', str(SR),
               '-F', wav_path, path, midi_path]
    else:
        cmd = ['timidity', '-c', path, '-Ow', '-s', str(SR), '--output-mono', '-EFreverb=0',
               '-EFchorus=0', '-o', wav_path, midi_path]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return read_wav_mono(wav_path)


_decoded = {}


def read_audio_mono(path):
    """A recording (Ogg, FLAC, WAV: libsndfile) -> mono float32 at SR, decoded once per build."""
    if path not in _decoded:
        import soundfile
        from scipy.signal import resample_poly
        x, rate = soundfile.read(path, dtype='float32', always_2d=True)
        x = x.mean(axis=1)
        if rate != SR:
            g = np.gcd(rate, SR)
            x = resample_poly(x, SR // g, rate // g).astype(np.float32)
        _decoded[path] = x
    return _decoded[path]


def read_wav_mono(path):
    import wave
    with wave.open(path, 'rb') as w:
        n, ch, width = w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
        rate = w.getframerate()
    assert width == 2, path
    x = np.frombuffer(raw, dtype='<i2').astype(np.float32).reshape(-1, ch).mean(axis=1) / 32768.0
    if rate != SR:
        from scipy.signal import resample_poly
        g = np.gcd(rate, SR)
        x = resample_poly(x, SR // g, rate // g).astype(np.float32)
    return x


def build_notes(tmp, quick=False):
    """Returns (audio [n, L] float32, meta [n, 4] int: class, timbre, pitch, velocity)."""
    audio, meta = [], []
    slot = int(NOTE_SLOT_S * SR)
    # quick: a small bank with the same sound sets, for tests of the code rather than of the models
    velocities, pitch_step = ([80], 2 * PITCH_STEP) if quick else (VELOCITIES, PITCH_STEP)
    for cls, timbres in ALL_TIMBRES.items():
        for ti, (sound_set, bank, program) in enumerate(timbres):
            engine, root = SOUND_SETS[sound_set]
            if engine == 'recording':
                continue  # kept whole: build_recordings
            if engine == 'hydrogen':
                hits = read_drum_kit(os.path.join(root, bank), velocities)
                if not hits:
                    print(f'  {cls} timbre {ti}: {sound_set} kit {bank} not installed, skipped', flush=True)
                    continue
                for p, v, x in hits:
                    audio.append(_fit(x, int(DRUM_SLOT_S * SR), slot))
                    meta.append((CLASSES.index(cls), ti, p, v))
                print(f'  {cls} timbre {ti} ({sound_set} kit {bank}): {len(hits)} recorded hits', flush=True)
                continue
            if not os.path.exists(root):
                print(f'  {cls} timbre {ti}: {sound_set} not installed, skipped', flush=True)
                continue
            if cls == 'drums':
                notes = [(p, v) for p in DRUM_NOTES for v in velocities]
                # GM kits live in bank 128 on channel 10; a drums-only soundfont's kit is a plain preset
                slot_s, hold_s, channel = DRUM_SLOT_S, 0.2, 9 if bank == 128 else 0
            else:
                lo, hi = RANGES[cls]
                notes = [(p, v) for p in range(lo, hi + 1, pitch_step) for v in velocities]
                slot_s, hold_s, channel = NOTE_SLOT_S, NOTE_ON_S, 0
            events = []
            for i, (p, v) in enumerate(notes):
                t0 = 0.5 + i * (slot_s + 0.5)
                events += [(t0, 'on', p, v), (t0 + hold_s, 'off', p, v)]
            mid, wav = os.path.join(tmp, 'n.mid'), os.path.join(tmp, 'n.wav')
            if channel == 9:
                # Drum kits are chosen by program on channel 10 (fluidsynth maps bank 128 there).
                write_midi(mid, events, 9, 0, program)
            else:
                write_midi(mid, events, 0, bank, program)
            x = render_midi(mid, wav, sound_set)
            n_slot = int(slot_s * SR)
            if np.abs(x).max() < 1e-3:
                print(f'  {cls} timbre {ti} ({sound_set} bank {bank} prog {program}): silent, skipped', flush=True)
                continue
            for i, (p, v) in enumerate(notes):
                s = int((0.5 + i * (slot_s + 0.5)) * SR)
                seg = np.zeros(slot, np.float32)
                piece = x[s:s + n_slot]
                seg[:len(piece)] = piece
                audio.append(seg)
                meta.append((CLASSES.index(cls), ti, p, v))
            print(f'  {cls} timbre {ti} ({sound_set} bank {bank} prog {program}): {len(notes)} notes', flush=True)
    return np.stack(audio), np.array(meta, np.int16)


def _fit(x, keep, n):
    """A recorded hit in a note slot of n samples: its first `keep`, faded out over 50 ms when cut."""
    seg = np.zeros(n, np.float32)
    seg[:min(keep, len(x))] = x[:keep]
    if len(x) > keep:
        fade = int(0.05 * SR)
        seg[keep - fade:keep] *= np.linspace(1, 0, fade, dtype=np.float32)
    return seg


def drum_note(name):
    """The GM drum note (of classes.DRUM_NOTES) a kit's instrument name stands for, or None."""
    n = ' ' + name.lower().replace('-', ' ').replace('_', ' ') + ' '
    if 'hat' in n or ' hh' in n:
        return 46 if ('open' in n or 'free' in n) else 42
    if 'kick' in n or 'bass drum' in n or 'bassdrum' in n or ' bd ' in n:
        return 36
    if 'snare' in n:
        return None if 'roll' in n else (40 if 'rim' in n else 38)
    if 'stick' in n or 'rim' in n:
        return 37
    if 'clap' in n:
        return 39
    if 'tom' in n:
        return 45 if ('floor' in n or 'low' in n) else 48 if ('mid' in n or 'tom 2' in n) else 50
    if any(w in n for w in ('crash', 'splash', 'china', 'cymbal')):
        return 49
    if 'ride' in n:
        return 51
    return None


def read_drum_kit(folder, velocities):
    """A Hydrogen kit (drumkit.xml + recorded hits) -> [(GM note, velocity, audio)]: for each instrument
    of a known drum, its softest, middle and hardest layers (one per velocity asked for), the kit
    scaled to a peak of 0.9. Empty when the kit is not installed."""
    import xml.etree.ElementTree as ET
    path = os.path.join(folder, 'drumkit.xml')
    if not os.path.exists(path):
        return []
    root = ET.parse(path).getroot()
    ns = root.tag[:root.tag.index('}') + 1] if root.tag.startswith('{') else ''
    hits = []
    for ins in root.iter(ns + 'instrument'):
        note = drum_note(ins.findtext(ns + 'name') or '')
        layers = sorted(((float(l.findtext(ns + 'max') or 1), l.findtext(ns + 'filename'))
                         for l in ins.iter(ns + 'layer')), key=lambda l: l[0])
        if not layers and ins.findtext(ns + 'filename'):
            layers = [(1.0, ins.findtext(ns + 'filename'))]
        layers = [f for _, f in layers if f and os.path.exists(os.path.join(folder, f))]
        if note is None or not layers:
            continue
        picks = np.unique(np.round(np.linspace(0, len(layers) - 1, len(velocities))).astype(int))
        if len(velocities) == 1:
            picks = [len(layers) // 2]
        for k, li in enumerate(picks):
            x = read_audio_mono(os.path.join(folder, layers[li]))
            if np.abs(x).max() > 1e-3:
                hits.append((note, velocities[min(k, len(velocities) - 1)], x))
    if hits:
        peak = max(np.abs(x).max() for _, _, x in hits)
        hits = [(p, v, x * (0.9 / peak)) for p, v, x in hits]
    return hits


def _trim(x, rel=0.02):
    """A recording without its silent ends (below rel of its peak)."""
    loud = np.nonzero(np.abs(x) > rel * (np.abs(x).max() + 1e-9))[0]
    return x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]


def build_recordings():
    """Real players' recordings (classes.REAL_TIMBRES), each trimmed and scaled to a peak of 0.9.
    Returns (audio concatenated, offsets [n+1], meta [n, 2] int: class, timbre)."""
    clips, meta = [], []
    for cls, timbres in ALL_TIMBRES.items():
        for ti, (sound_set, what, _) in enumerate(timbres):
            engine, root = SOUND_SETS[sound_set]
            if engine != 'recording':
                continue
            files = sorted(glob.glob(os.path.join(root, what)))
            seconds = 0.0
            for f in files:
                x = _trim(read_audio_mono(f))
                if len(x) < 0.1 * SR:
                    continue
                clips.append((x / np.abs(x).max() * 0.9).astype(np.float32))
                meta.append((CLASSES.index(cls), ti))
                seconds += len(x) / SR
            print(f'  {cls} timbre {ti} ({sound_set} {what}): ' +
                  (f'{len(files)} files, {seconds:.1f} s' if files else 'not installed, skipped'), flush=True)
    offsets = np.cumsum([0] + [len(c) for c in clips])
    audio = np.concatenate(clips) if clips else np.zeros(0, np.float32)
    return audio, offsets.astype(np.int64), np.array(meta, np.int16).reshape(-1, 2)


def layout():
    """What the bank's timbre and voice indices refer to; a bank built for other lists is stale."""
    return hashlib.sha1(repr((ALL_TIMBRES, ALL_VOICES)).encode()).hexdigest()


WORDS = ('the a one two three red blue green music sound play note song voice hello world time '
         'light river stone house garden morning evening city window table paper water fire over '
         'under quickly slowly bright dark happy open close listen speak remember tomorrow yesterday '
         'seven eight nine number little great small large orange yellow purple silver golden '
         'mountain ocean forest winter summer spring autumn doctor teacher student window letter').split()


def recorded_utterance(files, rng):
    """A few of one speaker's recorded letters and syllables in a row, with short pauses."""
    parts = []
    for f in rng.choice(files, size=int(rng.integers(3, 8))):
        x = _trim(read_audio_mono(f))
        if len(x):
            parts.append(x)
            parts.append(np.zeros(int(rng.uniform(0.04, 0.2) * SR), np.float32))
    return np.concatenate(parts) if parts else np.zeros(SR, np.float32)


def build_speech(rng, per_voice=18):
    """Returns (audio int16 concatenated, offsets [n+1], voice index per utterance)."""
    clips, voices = [], []
    for vi, voice in enumerate(ALL_VOICES):
        prefix, _, name = voice.partition(':')
        if prefix in VOICE_FILES:
            files = sorted(f for pattern in VOICE_FILES[prefix] for f in glob.glob(pattern.format(name)))
            if not files:
                print(f'  voice {voice}: not installed, skipped', flush=True)
                continue
            for _ in range(per_voice):
                x = recorded_utterance(files, rng)
                clips.append((x / (np.abs(x).max() + 1e-6) * 0.5).astype(np.float32))
                voices.append(vi)
            print(f'  voice {voice}: {per_voice} utterances', flush=True)
            continue
        for _ in range(per_voice):
            text = ' '.join(rng.choice(WORDS, size=rng.integers(4, 10)))
            speed = int(rng.integers(130, 190))
            pitch = int(rng.integers(25, 75))
            with tempfile.NamedTemporaryFile(suffix='.wav') as f:
                subprocess.run(['espeak-ng', '-v', voice, '-s', str(speed), '-p', str(pitch),
                                '-w', f.name, text], check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                x = read_wav_mono(f.name)
            x = x / (np.abs(x).max() + 1e-6) * 0.5
            clips.append(x.astype(np.float32))
            voices.append(vi)
        print(f'  voice {voice}: {per_voice} utterances', flush=True)
    offsets = np.cumsum([0] + [len(c) for c in clips])
    return np.concatenate(clips), offsets.astype(np.int64), np.array(voices, np.int16)


def render_glyph(ch, size=109):
    font = ImageFont.truetype(EMOJI_FONT, size)
    img = Image.new('RGBA', (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(img).text((8, 8), ch, font=font, embedded_color=True)
    bbox = img.getbbox()
    return np.array(img.crop(bbox))


def build_sprites():
    sprites = {}
    for cls in CLASSES:
        sprites[cls] = render_glyph(GLYPHS[cls])
    sprites['speaker_open'] = render_glyph(SPEAKER_OPEN_GLYPH)
    return sprites


def build_photos(max_photos=40, size=(320, 180)):
    paths = sorted(glob.glob('/usr/share/backgrounds/**/*.jpg', recursive=True) +
                   glob.glob('/usr/share/backgrounds/**/*.png', recursive=True))
    photos = []
    for p in paths[:max_photos]:
        try:
            im = Image.open(p).convert('RGB').resize(size, Image.BILINEAR)
            photos.append(np.array(im))
        except Exception:
            continue
    print(f'  {len(photos)} photo backgrounds', flush=True)
    return np.stack(photos) if photos else np.zeros((0, size[1], size[0], 3), np.uint8)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='training/cache/bank.npz')
    ap.add_argument('--quick', action='store_true',
                    help='a small bank (one velocity, every 6th semitone, 4 utterances a voice) for tests')
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    rng = np.random.default_rng(1234)
    with tempfile.TemporaryDirectory() as tmp:
        print('rendering notes (fluidsynth, timidity)', flush=True)
        notes, note_meta = build_notes(tmp, args.quick)
    print('reading real recordings (lmms, qABCs)', flush=True)
    recordings, recording_off, recording_meta = build_recordings()
    print('rendering speech (espeak-ng, KLettres, KTuberling)', flush=True)
    speech, speech_off, speech_voice = build_speech(rng, per_voice=4 if args.quick else 18)
    sprites = build_sprites()
    photos = build_photos()
    arrays = {
        'sr': np.array(SR),
        'notes': (np.clip(notes, -1, 1) * 32767).astype(np.int16), 'note_meta': note_meta,
        'speech': (np.clip(speech, -1, 1) * 32767).astype(np.int16),
        'speech_offsets': speech_off, 'speech_voice': speech_voice,
        'recordings': (np.clip(recordings, -1, 1) * 32767).astype(np.int16),
        'recording_offsets': recording_off, 'recording_meta': recording_meta,
        'layout': np.array(layout()),
        'photos': photos,
    }
    for k, v in sprites.items():
        arrays['sprite_' + k] = v
    tmp_out = args.out + '.partial.npz'
    np.savez_compressed(tmp_out, **arrays)
    os.replace(tmp_out, args.out)
    print(f'wrote {args.out}: {os.path.getsize(args.out) / 1e6:.1f} MB', flush=True)


if __name__ == '__main__':
    main()
