import json
import os
import tempfile
import unittest
import wave

import numpy as np

from training.world.assets import drum_note
from training.world.carry import pack, unpack
from training.world.classes import (ALL_TIMBRES, ALL_VOICES, HELD_OUT_TIMBRE, HELD_OUT_VOICE,
                                    INSTRUMENTS_WITH_REAL_HELD_OUT, REAL_HELD_OUT_TIMBRES, REAL_HELD_OUT_VOICES,
                                    SOUND_SETS, UNSEEN_SET, UNSEEN_TIMBRES, UNSEEN_VOICES)
from training.world.samples import make_motion_sample, make_sample
from training.world.scene import _pick_timbre, envelope, make_scene, real_instruments, render_frame, rng_for

from .common import BANK, bank


class WorldTest(unittest.TestCase):
    def test_scenes_are_deterministic_by_seed(self):
        a = make_scene(bank(), 'train', 17, seconds=3)
        b = make_scene(bank(), 'train', 17, seconds=3)
        self.assertEqual([s.cls for s in a.sources], [s.cls for s in b.sources])
        np.testing.assert_array_equal(a.mixture, b.mixture)
        fa, ba = render_frame(a, bank(), 5, 224, 128)
        fb, bb = render_frame(b, bank(), 5, 224, 128)
        np.testing.assert_array_equal(fa, fb)
        np.testing.assert_array_equal(ba, bb)

    def test_splits_draw_different_scenes(self):
        train = make_scene(bank(), 'train', 3, seconds=2)
        test = make_scene(bank(), 'test', 3, seconds=2)
        self.assertFalse(np.allclose(train.mixture, test.mixture))
        self.assertNotEqual(rng_for('train', 3).integers(1 << 60), rng_for('test', 3).integers(1 << 60))

    def test_mixture_is_the_sum_of_sources_without_clipping(self):
        for i in range(5):
            s = make_scene(bank(), 'test', i, seconds=3)
            np.testing.assert_allclose(s.mixture, np.sum([x.audio for x in s.sources], 0), atol=1e-6)
            self.assertLessEqual(np.abs(s.mixture).max(), 0.951)
            self.assertIn(len(s.sources), (2, 3))

    def test_scene_kinds(self):
        same = make_scene(bank(), 'test', 1, seconds=2, kind='same2')
        self.assertEqual(same.sources[0].cls, same.sources[1].cls)
        sp = make_scene(bank(), 'test', 1, seconds=2, kind='speech_inst')
        self.assertEqual(sp.sources[0].cls, 'speaker')
        self.assertEqual(len(make_scene(bank(), 'test', 1, seconds=2, kind='three').sources), 3)

    def test_training_never_draws_held_out_material(self):
        for i in range(40):
            for s in make_scene(bank(), 'train', i, seconds=1).sources:
                held = HELD_OUT_VOICE if s.cls == 'speaker' else HELD_OUT_TIMBRE[s.cls]
                self.assertNotEqual(s.timbre, held)
        for s in make_scene(bank(), 'test', 0, seconds=1, variation='heldout').sources:
            held = HELD_OUT_VOICE if s.cls == 'speaker' else HELD_OUT_TIMBRE[s.cls]
            self.assertEqual(s.timbre, held)

    def test_wide_training_never_draws_unseen_or_held_out_material(self):
        sets = set()
        for i in range(60):
            for s in make_scene(bank(), 'train', i, seconds=1, variation='wide').sources:
                if s.cls == 'speaker':
                    self.assertNotIn(s.timbre, UNSEEN_VOICES)
                else:
                    self.assertNotIn(s.timbre, UNSEEN_TIMBRES[s.cls] + [HELD_OUT_TIMBRE[s.cls]])
                    sets.add(ALL_TIMBRES[s.cls][s.timbre][0])
        self.assertGreater(len(sets), 2, 'wide training should draw from several sound sets')

    def test_wide_training_never_draws_held_out_real_recordings_but_draws_the_others(self):
        rng = np.random.default_rng(0)
        for cls in INSTRUMENTS_WITH_REAL_HELD_OUT + ['saxophone', 'speaker']:
            drawn = {_pick_timbre(cls, rng, 'wide', bank()) for _ in range(600)}
            held = REAL_HELD_OUT_VOICES if cls == 'speaker' else REAL_HELD_OUT_TIMBRES[cls]
            self.assertFalse(drawn & set(held), cls)
            if cls == 'speaker':
                recorded = {v for v in drawn if ALL_VOICES[v].startswith('ktuberling:')}
            else:
                recorded = {t for t in drawn if SOUND_SETS[ALL_TIMBRES[cls][t][0]][0] in ('recording', 'hydrogen')}
            self.assertTrue(recorded, f'wide training should play real {cls} recordings')
        real_sources = 0
        for i in range(60):
            for s in make_scene(bank(), 'train', i, seconds=1, variation='wide').sources:
                held = REAL_HELD_OUT_VOICES if s.cls == 'speaker' else REAL_HELD_OUT_TIMBRES[s.cls]
                self.assertNotIn(s.timbre, held)
                real_sources += s.cls != 'speaker' and ALL_TIMBRES[s.cls][s.timbre][0] in ('lmms', 'qabcs', 'hydrogen')
        self.assertGreater(real_sources, 5)

    def test_real_scenes_play_only_held_out_real_recordings(self):
        self.assertEqual(real_instruments(bank()), INSTRUMENTS_WITH_REAL_HELD_OUT)
        sounding, sources = 0, 0
        for kind in ('diff2', 'same2', 'speech_inst', 'three', 'two_speakers'):
            for i in range(3):
                sc = make_scene(bank(), 'test', i, seconds=2, kind=kind, variation='real')
                for s in sc.sources:
                    held = REAL_HELD_OUT_VOICES if s.cls == 'speaker' else REAL_HELD_OUT_TIMBRES[s.cls]
                    self.assertIn(s.timbre, held, (kind, i, s.cls))
                    np.testing.assert_allclose(s.env, envelope(s.audio, sc.fps))  # motion follows the recording
                    sounding += np.abs(s.audio).max() > 0
                    sources += 1
        self.assertGreater(sounding, 0.8 * sources)  # rests may silence a source for two seconds, rarely

    def test_recorded_drum_kits_map_their_instruments_to_gm_notes(self):
        names = {'Kick (Tama Superstar 22")': 36, 'Snare Rimshot': 40, 'Snare Jazz': 38, 'Hi-Hat Open (Paiste)': 46,
                 'Hat Pedal': 42, 'Closed HH': 42, 'Floor Tom': 45, 'Tom Mid': 48, 'Tom Hi': 50, 'c3 - bass drum 1': 36,
                 'Crash/Ride (Paiste Rude 18")': 49, 'Ride Bell': 51, 'Stick': 37, 'Hand Clap': 39, 'Cowbell': None,
                 'Snare Roll': None}
        self.assertEqual({n: drum_note(n) for n in names}, names)

    def test_unseen_scenes_use_only_the_held_out_sound_set_and_voices(self):
        for i in range(12):
            for s in make_scene(bank(), 'test', i, seconds=1, variation='unseen').sources:
                if s.cls == 'speaker':
                    self.assertIn(s.timbre, UNSEEN_VOICES)
                else:
                    self.assertEqual(ALL_TIMBRES[s.cls][s.timbre][0], UNSEEN_SET)

    def test_two_speakers_are_two_voices_no_training_uses_in_held_out_scenes(self):
        for variation in ('train', 'heldout', 'unseen', 'real'):
            for i in range(4):
                voices = [s.timbre for s in make_scene(bank(), 'test', i, seconds=1, kind='two_speakers',
                                                       variation=variation, augment=False).sources]
                self.assertEqual(len(set(voices)), 2, (variation, i, voices))
                if variation == 'heldout':
                    self.assertEqual(voices[0], HELD_OUT_VOICE)
                    self.assertIn(voices[1], UNSEEN_VOICES)

    def test_wide_augmentation_varies_level_and_adds_noise_no_source_owns(self):
        rms, noisy = [], 0
        for i in range(30):
            sc = make_scene(bank(), 'train', i, seconds=1, variation='wide')
            mix = np.sum([x.audio for x in sc.sources], 0)
            if np.abs(mix).max() > 0:  # a second of rests has no level to compare
                rms.append(np.sqrt(np.mean(mix ** 2)))
            if sc.noise is not None:
                noisy += 1
                np.testing.assert_allclose(sc.mixture - sc.noise, np.sum([x.audio for x in sc.sources], 0), atol=1e-6)
        self.assertGreater(20 * np.log10(max(rms) / min(rms)), 20, 'levels should span tens of dB')
        self.assertTrue(5 <= noisy <= 25)

    def test_motion_follows_the_envelope(self):
        s = make_scene(bank(), 'test', 2, seconds=4)
        src = s.sources[0]
        np.testing.assert_allclose(src.env, envelope(src.audio, s.fps))
        self.assertAlmostEqual(float(src.env.max()), 1.0, places=4)
        loud, quiet = int(np.argmax(src.env)), int(np.argmin(src.env))
        _, b_loud = render_frame(s, bank(), loud, 400, 300)
        _, b_quiet = render_frame(s, bank(), quiet, 400, 300)
        h_loud, h_quiet = b_loud[0, 3] - b_loud[0, 1], b_quiet[0, 3] - b_quiet[0, 1]
        self.assertGreater(h_loud, h_quiet)  # scaled by 1 + 0.1 env
        # sprite shifted up by A*env: the loud frame's centre is higher, up to the drift
        self.assertLess((b_loud[0, 1] + b_loud[0, 3]) / 2, (b_quiet[0, 1] + b_quiet[0, 3]) / 2 + 0.05 * 300)

    def test_sprites_do_not_overlap_and_fit(self):
        for i in range(20):
            s = make_scene(bank(), 'test', i, seconds=2)
            h = 300
            w = int(h * s.aspect)
            _, boxes = render_frame(s, bank(), 0, w, h)
            for a in range(len(boxes)):
                ha = boxes[a, 3] - boxes[a, 1]
                self.assertGreaterEqual(ha, 0.24 * h)
                self.assertLessEqual(ha, 0.34 * h * 1.1)
                for b in range(a + 1, len(boxes)):
                    x0, y0 = np.maximum(boxes[a, :2], boxes[b, :2])
                    x1, y1 = np.minimum(boxes[a, 2:], boxes[b, 2:])
                    self.assertTrue(x1 <= x0 or y1 <= y0, f'scene {i}: sprites {a} and {b} overlap')

    def test_samples_have_consistent_ground_truth(self):
        s = make_sample(bank(), 'val', 4)
        n = int(s['valid'].sum())
        np.testing.assert_allclose(s['mix'], s['sources'][:n].sum(0), atol=1e-6)
        self.assertAlmostEqual(float(s['span'].sum()), 1.0, places=5)
        for i in range(n):
            gy, gx = s['pixels'][i]
            x0, y0, x1, y1 = s['boxes'][i]
            self.assertTrue(x0 <= (gx + 0.5) * 8 + 8 and (gx - 0.5) * 8 <= x1)
            self.assertTrue(y0 <= (gy + 0.5) * 8 + 8 and (gy - 0.5) * 8 <= y1)
        m = make_motion_sample(bank(), 'val', 4, shift_room_s=3.0)
        self.assertEqual(m['frames'].shape, (48, 3, 128, 224))
        self.assertFalse(np.allclose(m['shifted'], m['sources'][0]))

    def test_clip_writer_makes_media_with_ground_truth(self):
        from training.world.clips import write_clip
        with tempfile.TemporaryDirectory() as d:
            path, truth = write_clip(bank(), d, 'test', 5, kind='diff2', seconds=2, height=180, fps=10)
            self.assertTrue(os.path.getsize(path) > 1000)
            with open(os.path.join(d, 'truth.json')) as f:
                t = json.load(f)
            self.assertEqual(len(t['sources']), 2)
            self.assertEqual(len(t['frames']), 20)
            with wave.open(os.path.join(d, 'source-1.wav')) as w:
                self.assertEqual((w.getframerate(), w.getnchannels(), w.getnframes()), (44100, 2, t['samples']))


class CarryTest(unittest.TestCase):
    def setUp(self):
        bank()  # builds the test bank once per machine

    def test_a_packed_bank_unpacks_to_the_same_world_at_8_bits_with_fewer_phrases_per_voice(self):
        with tempfile.TemporaryDirectory() as d:
            packed, out = os.path.join(d, 'bank.xz'), os.path.join(d, 'bank.npz')
            pack(BANK, packed, phrases=1)
            unpack(packed, out)
            before, after = np.load(BANK), np.load(out)
            self.assertEqual(sorted(before.files), sorted(after.files))
            self.assertEqual(set(before['speech_voice']), set(after['speech_voice']))  # every voice stays
            self.assertEqual(len(after['speech_voice']), len(set(before['speech_voice'])))
            first = [int(np.nonzero(before['speech_voice'] == v)[0][0]) for v in after['speech_voice']]
            for k, u in enumerate(first):  # each voice's first phrase, sample for sample up to mu-law's step
                a = before['speech'][before['speech_offsets'][u]:before['speech_offsets'][u + 1]].astype(np.float64)
                b = after['speech'][after['speech_offsets'][k]:after['speech_offsets'][k + 1]].astype(np.float64)
                self.assertEqual(len(a), len(b))
                self.assertGreater(10 * np.log10((a ** 2).sum() / max(((a - b) ** 2).sum(), 1e-9)), 30)
            notes, back = before['notes'].astype(np.float64), after['notes'].astype(np.float64)
            self.assertGreater(10 * np.log10((notes ** 2).sum() / ((notes - back) ** 2).sum()), 30)
            for k in ('note_meta', 'sprite_guitar', 'layout'):
                np.testing.assert_array_equal(before[k], after[k])
            from training.world.scene import Bank
            s = make_sample(Bank(out), 'train', 0, 'speech_inst', 'wide')
            self.assertGreater(np.abs(s['mix']).max(), 0)


if __name__ == '__main__':
    unittest.main()
