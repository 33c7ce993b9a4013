"""Build the compact asset bank the world is synthesized from (run once, cached).

Notes are rendered from FluidR3_GM and the other sound sets of classes.SOUND_SETS (fluidsynth for
soundfonts, timidity for freepats; one MIDI file per timbre, sliced per note), speech from espeak-ng
voices and KLettres' recorded speakers, sprites from Noto Color Emoji, photo backgrounds from Debian's
wallpaper packages where installed. Everything is stored at the model rate (11025 Hz) in one
compressed .npz of a few tens of MB, small enough to carry to a GPU machine and generate there.

    python3 -m training.world.assets --out training/cache/bank.npz
"""
import argparse
import glob
import os
import struct
import subprocess
import tempfile

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .classes import (ALL_TIMBRES, ALL_VOICES, CLASSES, DRUM_NOTES, GLYPHS, RANGES, SOUND_SETS,
                      SPEAKER_OPEN_GLYPH)

SR = 11025
KLETTRES = '/usr/share/klettres'
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
            if not os.path.exists(SOUND_SETS[sound_set][1]):
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


WORDS = ('the a one two three red blue green music sound play note song voice hello world time '
         'light river stone house garden morning evening city window table paper water fire over '
         'under quickly slowly bright dark happy open close listen speak remember tomorrow yesterday '
         'seven eight nine number little great small large orange yellow purple silver golden '
         'mountain ocean forest winter summer spring autumn doctor teacher student window letter').split()


def recorded_utterance(files, rng):
    """A few of one speaker's recorded letters and syllables in a row, with short pauses."""
    parts = []
    for f in rng.choice(files, size=int(rng.integers(3, 8))):
        x = read_audio_mono(f)
        loud = np.nonzero(np.abs(x) > 0.02 * (np.abs(x).max() + 1e-9))[0]
        if len(loud):
            parts.append(x[loud[0]:loud[-1] + 1])
            parts.append(np.zeros(int(rng.uniform(0.04, 0.2) * SR), np.float32))
    return np.concatenate(parts) if parts else np.zeros(SR, np.float32)


def build_speech(rng, per_voice=18):
    """Returns (audio int16 concatenated, offsets [n+1], voice index per utterance)."""
    clips, voices = [], []
    for vi, voice in enumerate(ALL_VOICES):
        if voice.startswith('real:'):
            files = sorted(glob.glob(os.path.join(KLETTRES, voice[5:], '*', '*.ogg')))
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
    print('rendering speech (espeak-ng, KLettres)', flush=True)
    speech, speech_off, speech_voice = build_speech(rng, per_voice=4 if args.quick else 18)
    sprites = build_sprites()
    photos = build_photos()
    arrays = {
        'sr': np.array(SR),
        'notes': (np.clip(notes, -1, 1) * 32767).astype(np.int16), 'note_meta': note_meta,
        'speech': (np.clip(speech, -1, 1) * 32767).astype(np.int16),
        'speech_offsets': speech_off, 'speech_voice': speech_voice,
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
