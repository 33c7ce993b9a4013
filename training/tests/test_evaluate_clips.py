import json
import math
import os
import tempfile
import unittest

import numpy as np

from training.evaluate_clips import Clip, crossfade_weights, main, picture_frame, sounding_in, truth_frames_of
from training.world.scene import render_frame

from .common import BANK, ROOT, bank


class EvaluateClipsTest(unittest.TestCase):
    def test_crossfade_weights_sum_to_one_where_windows_overlap(self):
        w = crossfade_weights(256, 192)
        self.assertTrue(np.allclose(w[:64] + w[192:], 1.0))
        self.assertTrue(np.allclose(w[64:192], 1.0))
        self.assertTrue((w > 0).all())

    def test_frames_of_an_analysed_frame(self):
        # 25 fps clip, 8 fps analysis: frame 4 spans 0.5 .. 0.625 s, its picture is on screen at 0.5625 s.
        self.assertEqual(truth_frames_of(4, 25, 200), [13, 14, 15])
        self.assertEqual(picture_frame(4, {'fps': 25, 'frames': [None] * 200}), 14)
        self.assertEqual(picture_frame(63, {'fps': 25, 'frames': [None] * 200}), 198)
        self.assertTrue(sounding_in([0, 0.2, 0.5, 0.4], [1, 2, 3]))
        self.assertFalse(sounding_in([0, 0.2, 0.3, 0.1], [1, 2, 3]))

    def test_rebuilds_the_clip_it_is_given(self):
        from training.world.clips import write_clip
        with tempfile.TemporaryDirectory() as d:
            write_clip(bank(), d, 'test', 7, kind='diff2', seconds=2, height=180, width=320, rate=48000)
            clip = Clip(d, bank(), 'clip')
            t = clip.truth
            for tf in (0, len(t['frames']) - 1):
                _, boxes = render_frame(clip.scene, bank(), tf, t['width'], t['height'])
                self.assertTrue(np.allclose(np.round(boxes, 1), t['frames'][tf]['boxes'], atol=0.051))
            self.assertEqual(clip.refs.shape, (2, len(clip.mix)))
            self.assertAlmostEqual(len(clip.mix) / 11025, 2.0, delta=0.01)
            # The mixture is the sum of the references (the resampling is linear).
            err = np.sum((clip.refs.sum(0) - clip.mix) ** 2) / np.sum(clip.mix ** 2)
            self.assertLess(10 * math.log10(err + 1e-30), -60)
            self.assertEqual(clip.frame(3).shape, (3, 128, 224))

    @unittest.skipUnless(os.path.exists(os.path.join(ROOT, 'training', 'checkpoints', 'motion.pt')), 'no shipped checkpoints')
    def test_scores_a_clip_with_both_stages(self):
        from training.world.clips import write_clip
        with tempfile.TemporaryDirectory() as d:
            write_clip(bank(), d, 'test', 7, kind='diff2', seconds=3, height=180, width=320, rate=44100)
            out = os.path.join(d, 'python.json')
            main(['--clip', d, '--out', out, '--appearance', os.path.join(ROOT, 'training/checkpoints/appearance-best.pt'),
                  '--motion', os.path.join(ROOT, 'training/checkpoints/motion.pt'), '--bank', BANK])
            with open(out) as f:
                row = json.load(f)['clips'][0]
            for stage in ('appearance', 'two_stage'):
                self.assertEqual(len(row[stage]['sdr']), 2)
                self.assertTrue(all(np.isfinite(row[stage]['sdr'])))
                self.assertTrue(os.path.exists(os.path.join(d, row[stage]['file'])))
            # Trained models do better than the mixture on a two-instrument test scene.
            self.assertGreater(np.mean(row['two_stage']['sdr']), 0)


if __name__ == '__main__':
    unittest.main()
