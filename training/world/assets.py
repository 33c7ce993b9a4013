"""Build the compact asset bank the world is synthesized from (run once, cached).

Notes are rendered from FluidR3_GM with fluidsynth (one MIDI file per timbre, sliced per note),
speech from espeak-ng voices, sprites from Noto Color Emoji, photo backgrounds from Debian's
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

from .classes import (CLASSES, DRUM_NOTES, GLYPHS, RANGES, SPEAKER_OPEN_GLYPH, TIMBRES, VOICES)

SR = 11025
SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2'
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


def render_midi(midi_path, wav_path, bank, drum_kit=None):
    cmd = ['fluidsynth', '-ni', '-q', '-R', '0', '-C', '0', '-g', '0.6', '-r', str(SR),
           '-F', wav_path, SOUNDFONT, midi_path]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return read_wav_mono(wav_path)


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


def build_notes(tmp):
    """Returns (audio [n, L] float32, meta [n, 4] int: class, timbre, pitch, velocity)."""
    audio, meta = [], []
    slot = int(NOTE_SLOT_S * SR)
    for cls, timbres in TIMBRES.items():
        for ti, (bank, program) in enumerate(timbres):
            if cls == 'drums':
                notes = [(p, v) for p in DRUM_NOTES for v in VELOCITIES]
                slot_s, hold_s, channel = DRUM_SLOT_S, 0.2, 9
            else:
                lo, hi = RANGES[cls]
                notes = [(p, v) for p in range(lo, hi + 1, PITCH_STEP) for v in VELOCITIES]
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
            x = render_midi(mid, wav, bank)
            n_slot = int(slot_s * SR)
            for i, (p, v) in enumerate(notes):
                s = int((0.5 + i * (slot_s + 0.5)) * SR)
                seg = np.zeros(slot, np.float32)
                piece = x[s:s + n_slot]
                seg[:len(piece)] = piece
                audio.append(seg)
                meta.append((CLASSES.index(cls), ti, p, v))
            print(f'  {cls} timbre {ti} (bank {bank} prog {program}): {len(notes)} notes', flush=True)
    return np.stack(audio), np.array(meta, np.int16)


WORDS = ('the a one two three red blue green music sound play note song voice hello world time '
         'light river stone house garden morning evening city window table paper water fire over '
         'under quickly slowly bright dark happy open close listen speak remember tomorrow yesterday '
         'seven eight nine number little great small large orange yellow purple silver golden '
         'mountain ocean forest winter summer spring autumn doctor teacher student window letter').split()


def build_speech(rng, per_voice=18):
    """Returns (audio int16 concatenated, offsets [n+1], voice index per utterance)."""
    clips, voices = [], []
    for vi, voice in enumerate(VOICES):
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
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    rng = np.random.default_rng(1234)
    with tempfile.TemporaryDirectory() as tmp:
        print('rendering notes (fluidsynth, FluidR3_GM)', flush=True)
        notes, note_meta = build_notes(tmp)
    print('rendering speech (espeak-ng)', flush=True)
    speech, speech_off, speech_voice = build_speech(rng)
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
