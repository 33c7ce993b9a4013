import os
import struct
import subprocess
import sys
import json
import tempfile
import unittest

import numpy as np
import torch

from training import audio as A
from training.export import export
from training.experiments.audio_front import BinNormModel, build, ratio_mask_loss, train_step
from training.experiments.avpc import AVPCSeparator
from training.experiments.compare_avpc import mask_logits
from training.motion import DirectSeparator, MotionStage, ame_triplet, opponent_fusion, pool_motion, tracker_like
from training.nets import AppearanceModel
from training.schedule import learning_rate, time_progress
from training.train import WorldDataset, forward_batch, keep_weights, make_optimizer, resume, separation_loss
from training.world.samples import MAX_SOURCES
from training.train_motion import MotionDataset, ame_step, refinement_groups, ssr_step

from .common import BANK, ROOT, bank


def run_steps(loss_fn, params, n, lr=2e-3):
    """n Adam steps on loss_fn(); returns the loss before each step."""
    opt = torch.optim.Adam(params, lr)
    losses = []
    for _ in range(n):
        loss = loss_fn()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


def fixed_batch(ds, n):
    items = [ds[i] for i in range(n)]
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


class DspTest(unittest.TestCase):
    def test_window_gives_256_frames_and_warp_rows_sum_to_one(self):
        mag = A.stft_mag(torch.randn(1, A.WIN_SAMPLES))
        self.assertEqual(tuple(mag.shape), (1, 512, 256))
        np.testing.assert_allclose(A.warp_matrix().sum(1), 1, atol=1e-6)
        np.testing.assert_allclose(A.unwarp_matrix().sum(1), 1, atol=1e-6)

    def test_unwarp_inverts_warp_on_smooth_spectra(self):
        f = np.linspace(0, 1, 512)
        spec = np.exp(-3 * f) + 0.2 * np.sin(4 * f)
        back = A.unwarp_matrix() @ (A.warp_matrix() @ spec)
        self.assertLess(np.abs(back - spec)[5:].max(), 0.02)


class TrainingTest(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        bank()

    def test_a_few_steps_reduce_the_appearance_losses(self):
        model = AppearanceModel()
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 4), 4)
        opt = torch.optim.Adam(model.parameters(), 2e-3)
        first = None
        for _ in range(12):
            out = forward_batch(model, batch, 'cpu')
            loss = out['loss_sep'] + 0.5 * out['loss_loc']
            first = first or (out['loss_sep'].item(), out['loss_loc'].item())
            opt.zero_grad()
            loss.backward()
            opt.step()
        out = forward_batch(model, batch, 'cpu')
        self.assertLess(out['loss_sep'].item(), first[0])
        self.assertLess(out['loss_loc'].item(), first[1])

    def test_class_queries_learn_and_old_weights_load_without_them(self):
        model = AppearanceModel()
        old = {k: v for k, v in model.state_dict().items() if k != 'class_queries'}
        AppearanceModel().load_weights(old)  # weights from before class queries
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 4, variation='wide'), 4)
        opt = torch.optim.Adam(model.parameters(), 2e-3)
        first = forward_batch(model, batch, 'cpu', queries='class')['loss_sep'].item()
        for _ in range(10):
            out = forward_batch(model, batch, 'cpu', queries='mixed')
            opt.zero_grad()
            out['loss_sep'].backward()
            opt.step()
        self.assertGreater(model.class_queries.abs().sum().item(), 0)
        self.assertLess(forward_batch(model, batch, 'cpu', queries='class')['loss_sep'].item(), first)

    def test_class_queries_alone_learn_on_a_frozen_network(self):
        model = AppearanceModel()
        before = {k: v.clone() for k, v in model.state_dict().items() if k != 'class_queries'}
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 4, variation='wide'), 4)
        opt = make_optimizer(model, 2e-2, only_class_queries=True)
        model.eval()  # as train.py runs it: batch-norm statistics stay as shipped
        first = forward_batch(model, batch, 'cpu', queries='class')['loss_sep'].item()
        for _ in range(10):
            out = forward_batch(model, batch, 'cpu', queries='mixed')
            opt.zero_grad()
            out['loss_sep'].backward()
            opt.step()
        self.assertLess(forward_batch(model, batch, 'cpu', queries='class')['loss_sep'].item(), first)
        for k, v in model.state_dict().items():
            if k != 'class_queries':
                self.assertTrue(torch.equal(v, before[k]), k)

    def test_a_wider_audio_net_is_rebuilt_from_its_weights_and_resumed_at_its_width(self):
        wide = AppearanceModel(audio_width=24).eval()
        again = AppearanceModel.from_weights(wide.state_dict()).eval()
        self.assertEqual(again.audio.first.out_channels, 24)
        mag = torch.rand(1, 512, 256)
        with torch.no_grad():
            self.assertTrue(torch.equal(wide.audio_features(mag)[0], again.audio_features(mag)[0]))
        with tempfile.TemporaryDirectory() as d:
            torch.save({'model': wide.state_dict(), 'step': 7, 'best': 1.0}, os.path.join(d, 'ckpt.pt'))
            subprocess.run([sys.executable, '-m', 'training.train', '--run', d, '--bank', BANK, '--steps', '8',
                            '--batch', '1', '--workers', '0', '--val-size', '1', '--audio-width', '16'],
                           cwd=ROOT, check=True, capture_output=True)
            resumed = torch.load(os.path.join(d, 'ckpt.pt'))
        self.assertEqual(resumed['step'], 8)
        self.assertEqual(resumed['model']['audio.first.weight'].shape[0], 24)  # the weights' width, not the flag's

    def test_a_run_resumes_from_a_committed_checkpoint_without_optimizer_state(self):
        model = AppearanceModel()
        opt = make_optimizer(model, 1e-3, False)
        with tempfile.TemporaryDirectory() as d:
            full, kept = os.path.join(d, 'ckpt.pt'), os.path.join(d, 'kept.pt')
            torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'step': 1234, 'best': 5.5}, full)
            keep_weights(full, kept)
            self.assertNotIn('opt', torch.load(kept))
            again = AppearanceModel()
            step, best = resume(kept, again, make_optimizer(again, 1e-3, False), 'cpu', -1e9)
        self.assertEqual((step, best), (1234, 5.5))
        for k, v in model.state_dict().items():
            self.assertTrue(torch.equal(v, again.state_dict()[k]), k)

    def test_a_name_asks_for_every_source_of_its_class(self):
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 1, kind='same2'), 1)
        mag = A.stft_mag(batch['sources'].flatten(0, 1)).view(1, MAX_SOURCES, 512, -1)
        model = AppearanceModel()
        norm = torch.ones(1, 1, 256, mag.shape[-1])
        # logits that say "both guitars" on every bin the two own: right for a name, wrong for a click
        from training.train import loudest_source_masks
        gt = loudest_source_masks(model.warp, mag, batch['valid'])
        both = (gt[:, 0] + gt[:, 1]).clamp(max=1)
        logits = torch.cat([both[:, None], both[:, None], torch.zeros_like(gt[:, :2])], 1) * 20 - 10
        by_click = separation_loss(logits, batch, model.warp, mag, norm, 'cpu')
        by_name = separation_loss(logits, batch, model.warp, mag, norm, 'cpu',
                                  named_only=torch.tensor([[1.0, 1.0, 0.0]]))
        self.assertLess(by_name.item(), 0.1 * by_click.item())

    def test_a_few_steps_reduce_the_motion_losses(self):
        app = AppearanceModel().eval()
        stage = MotionStage()
        ame = fixed_batch(MotionDataset(BANK, 'train', 0, 2, 'triplet'), 2)
        params = list(stage.motion.parameters()) + list(stage.sound.parameters())
        losses = run_steps(lambda: ame_step(stage, app, ame, 'cpu')[0], params, 8)
        self.assertLess(min(losses[-3:]), losses[0])
        ssr = fixed_batch(MotionDataset(BANK, 'train', 0, 2, 'separation'), 2)
        stage.motion.eval()
        losses = run_steps(lambda: ssr_step(stage, app, ssr, 'cpu')[0], stage.ssr.parameters(), 8)
        self.assertLess(min(losses[-3:]), losses[0])

    def test_the_wide_motion_data_mixes_two_voices_into_the_same_class_scenes(self):
        wide = MotionDataset(BANK, 'train', 0, 60, 'separation', same_class_share=1.0, variation='wide')
        kinds = [wide.scene_kind(i) for i in range(60)]
        self.assertEqual(set(kinds), {'same2', 'two_speakers'})
        self.assertTrue(10 <= kinds.count('two_speakers') <= 30, kinds.count('two_speakers'))
        plain = MotionDataset(BANK, 'train', 0, 60, 'separation', same_class_share=1.0)
        self.assertEqual({plain.scene_kind(i) for i in range(60)}, {'same2'})
        voices = wide[kinds.index('two_speakers')]
        self.assertEqual(voices['valid'].sum().item(), 2)
        self.assertEqual(tuple(voices['frames'].shape[:2]), (48, 3))

    def test_the_single_network_ablations_learn(self):
        app = AppearanceModel().eval()
        stage = MotionStage().eval()
        ssr = fixed_batch(MotionDataset(BANK, 'train', 0, 2, 'separation', same_class_share=1.0), 2)
        for use_appearance in (False, True):
            net = DirectSeparator(use_appearance)
            losses = run_steps(lambda: ssr_step(stage, app, ssr, 'cpu', net)[0], net.parameters(), 8)
            self.assertLess(min(losses[-3:]), losses[0])

    def test_the_avpc_network_learns_and_matches_the_unet_size(self):
        avpc, unet = AVPCSeparator(), AppearanceModel()
        n_avpc = sum(p.numel() for p in avpc.audio.parameters())
        n_unet = sum(p.numel() for p in unet.audio.parameters())
        self.assertLess(abs(n_avpc - n_unet) / n_unet, 0.02)     # "at equal parameter count"
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 2), 2)
        front = AppearanceModel().eval()   # the audio front end (warp, normalisation, log)
        mag_mix = A.stft_mag(batch['mix'])
        mag_src = A.stft_mag(batch['sources'].flatten(0, 1)).view(2, MAX_SOURCES, *mag_mix.shape[1:])

        def loss():
            logits, norm = mask_logits(avpc, front, mag_mix, batch['frame'].float(), batch['pixels'])
            return separation_loss(logits, batch, front.warp, mag_src, norm, 'cpu')
        losses = run_steps(loss, avpc.parameters(), 6)
        self.assertLess(min(losses[-2:]), losses[0])

    def test_the_per_bin_input_ignores_level_and_a_fixed_colouring_and_keeps_the_loss_weights(self):
        torch.manual_seed(0)
        mag = torch.rand(1, 512, 64) + 0.01
        tilt = torch.exp(torch.linspace(np.log(0.1), np.log(10.0), 512))[None, :, None]   # an EQ, -20..+20 dB
        shipped, per_bin = AppearanceModel().eval(), BinNormModel().eval()
        change = lambda m, x: (m.log_input(x)[0] - m.log_input(mag)[0]).abs().max().item()
        self.assertLess(change(per_bin, 1000 * mag), 1e-4)
        self.assertLess(change(per_bin, tilt * mag), 0.05)
        self.assertGreater(change(shipped, tilt * mag), 1.0)      # the shipped input sees the colouring
        self.assertTrue(torch.equal(per_bin.log_input(mag)[1], shipped.log_input(mag)[1]))

    def test_the_ratio_mask_loss_is_least_at_each_sources_share_and_both_variants_learn(self):
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 2, variation='wide'), 2)
        model = AppearanceModel()
        mag_mix = A.stft_mag(batch['mix'])
        mag_src = A.stft_mag(batch['sources'].flatten(0, 1)).view(2, MAX_SOURCES, *mag_mix.shape[1:])
        _, norm = model.audio_features(mag_mix)
        valid = batch['valid']
        src = torch.einsum('wf,bnft->bnwt', model.warp, mag_src) * valid[:, :, None, None]
        share = (src / (src.sum(1, keepdim=True) + 1e-8)).clamp(1e-6, 1 - 1e-6)
        exact = torch.logit(torch.cat([share, torch.full_like(share[:, :1], 1e-6)], 1))
        self.assertLess(ratio_mask_loss(exact, batch, model.warp, mag_src, norm, 'cpu').item(), 1e-4)
        self.assertGreater(ratio_mask_loss(torch.zeros_like(exact), batch, model.warp, mag_src, norm, 'cpu').item(), 0.05)
        for variant, net in (('ratio-mask', AppearanceModel()), ('bin-norm', BinNormModel())):
            losses = run_steps(lambda: train_step(net, variant, batch), net.parameters(), 5)
            self.assertLess(min(losses[-2:]), losses[0], variant)

    def test_the_deeper_audio_network_is_the_shipped_one_with_a_residual_convolution_at_every_level(self):
        torch.manual_seed(0)
        shipped, deeper = build('shipped').audio.eval(), build('deeper').audio.eval()
        convs = lambda net: sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())
        self.assertEqual(convs(deeper), convs(shipped) + 12)                 # 6 levels, down and up
        deeper.load_state_dict(shipped.state_dict(), strict=False)
        x = torch.randn(2, 1, 256, 256)
        self.assertGreater((deeper(x) - shipped(x)).abs().max().item(), 1e-3)
        for extra in [*deeper.down_extra, *deeper.up_extra]:
            torch.nn.init.zeros_(extra.bn.weight)                            # every added block passes x through
        self.assertTrue(torch.allclose(deeper(x), shipped(x), atol=1e-5))
        batch = fixed_batch(WorldDataset(BANK, 'train', 0, 2, variation='wide'), 2)
        net = build('deeper')
        losses = run_steps(lambda: train_step(net, 'deeper', batch), net.parameters(), 5)
        self.assertLess(min(losses[-2:]), losses[0])


class EvaluateTest(unittest.TestCase):
    def test_a_silent_estimate_is_counted_not_scored_and_the_others_are_scored_as_alone(self):
        from training.evaluate import bss, summary
        rng = np.random.default_rng(0)
        refs = rng.standard_normal((2, 11025))
        good = refs[0] + 0.1 * refs[1] + 0.01 * rng.standard_normal(11025)
        sdr, sir, sar = bss(refs, np.stack([good, np.zeros(11025)]))
        self.assertTrue(np.isnan(sdr[1]) and np.isnan(sir[1]) and np.isnan(sar[1]))
        alone = bss(refs, np.stack([good, refs[1]]))[0][0]
        self.assertAlmostEqual(sdr[0], alone, places=6)  # the silent one does not move the other's score
        self.assertEqual(summary(list(sdr) + [3.0]), {'sdr_mean': (sdr[0] + 3) / 2, 'sdr_median': (sdr[0] + 3) / 2,
                                                      'n_sources': 3, 'silent': 1})


class ScheduleTest(unittest.TestCase):
    def test_warm_up_then_constant_then_cosine_down_to_the_floor(self):
        self.assertAlmostEqual(learning_rate(0, 1e-3, warmup=100), 1e-5)
        self.assertAlmostEqual(learning_rate(500, 1e-3, warmup=100), 1e-3)
        rates = [learning_rate(s, 1e-3, decay_start=1000, decay_steps=200, floor=1e-4) for s in range(990, 1300)]
        self.assertAlmostEqual(rates[0], 1e-3)
        self.assertTrue(all(a >= b for a, b in zip(rates, rates[1:])))
        self.assertAlmostEqual(learning_rate(1100, 1e-3, decay_start=1000, decay_steps=200, floor=1e-4), 5.5e-4)
        self.assertAlmostEqual(rates[-1], 1e-4)

    def test_time_based_decay_covers_the_last_minutes_of_a_run(self):
        self.assertIsNone(time_progress(10, 60, None))
        self.assertIsNone(time_progress(39.9, 60, 20))
        self.assertAlmostEqual(time_progress(50, 60, 20), 0.5)
        self.assertEqual(time_progress(75, 60, 20), 1.0)
        # the time position overrides the step one, and a run that ends on time ends on the floor
        self.assertAlmostEqual(learning_rate(10, 1e-3, floor=1e-4, progress=0.5), 5.5e-4)
        self.assertAlmostEqual(learning_rate(10, 1e-3, decay_start=0, decay_steps=10 ** 6, floor=1e-4,
                                             progress=1.0), 1e-4)


class MotionMathTest(unittest.TestCase):
    def test_triplet_loss_is_zero_when_aligned_is_far_closer(self):
        m = torch.zeros(2, 1, 48)
        loss, _, _ = ame_triplet(m, m + 0.01, m + 5.0)
        self.assertEqual(loss.item(), 0.0)
        loss, _, _ = ame_triplet(m, m + 5.0, m + 0.01)
        self.assertGreater(loss.item(), 2.0)

    def test_opponent_fusion_moves_energy_between_two_sources(self):
        app = torch.zeros(1, 2, 4, 4)
        res = torch.zeros(1, 2, 4, 4)
        res[0, 0, 1, 1] = 3.0        # source 1 gives this bin away to source 2
        out = opponent_fusion(app, res, torch.ones(1, 2))
        self.assertEqual(out[0, 0, 1, 1].item(), -3.0)
        self.assertEqual(out[0, 1, 1, 1].item(), 3.0)
        # a padded (invalid) source neither gives nor receives
        out = opponent_fusion(app, res, torch.tensor([[1.0, 0.0]]))
        self.assertEqual(out[0, 1, 1, 1].item(), 0.0)

    def test_motion_pooling_is_centred_on_the_click(self):
        f1 = torch.zeros(1, 1, 2, 16, 28)
        f1[0, 0, :, 3, 4] = 1.0
        near = pool_motion(f1, torch.tensor([[[3, 4]]]))[0, 0, 0, 0]
        far = pool_motion(f1, torch.tensor([[[12, 20]]]))[0, 0, 0, 0]
        self.assertGreater(near.item(), 100 * far.item())

    def test_the_refinement_told_an_activity_starts_as_the_refinement_it_widens_and_loads_as_told(self):
        torch.manual_seed(0)
        stage = MotionStage().eval()
        app_logits, log_mix = torch.randn(1, 2, 256, 256), torch.randn(1, 1, 256, 256)
        feats, valid = torch.randn(1, 2, stage.ssr.motion_in.in_features, 48), torch.ones(1, 2)
        with torch.no_grad():
            before = stage.refine(app_logits, log_mix, feats, valid)
            stage.tell_activity()
            told = stage.refine(app_logits, log_mix, feats, valid, torch.rand(1, 2, 48))
        self.assertLess((told - before).abs().max().item(), 1e-5)
        self.assertTrue(stage.told)
        with self.assertRaises(ValueError):
            stage.refine(app_logits, log_mix, feats, valid)
        again = MotionStage.from_weights(stage.state_dict())
        self.assertTrue(again.told)
        self.assertFalse(MotionStage.from_weights(MotionStage().state_dict()).told)

    def test_the_told_refinement_trains_alone_unless_the_motion_network_is_tuned_with_it(self):
        stage = MotionStage()
        stage.tell_activity()
        ssr = {id(p) for p in stage.ssr.parameters()}
        motion = {id(p) for p in stage.motion.parameters()}
        alone = refinement_groups(stage.ssr.parameters(), stage, 1e-4, False)
        self.assertEqual([{id(p) for p in g['params']} for g in alone], [ssr])
        tuned = refinement_groups(stage.ssr.parameters(), stage, 1e-4, True)
        self.assertEqual([{id(p) for p in g['params']} for g in tuned], [ssr, motion])
        self.assertEqual([g['lr'] for g in tuned], [1e-4, 2e-5])
        self.assertEqual([g['base_lr'] for g in tuned], [1e-4, 2e-5])
        self.assertFalse(ssr & motion)

    def test_a_tracker_like_activity_is_each_sources_over_its_maximum_and_sometimes_lost(self):
        env = torch.rand(64, 3, 48) * 0.8
        exact = tracker_like(env)
        self.assertTrue(torch.allclose(exact.amax(2), torch.ones(64, 3), atol=2e-3))
        self.assertTrue(torch.allclose(exact, env / (env.amax(2, keepdim=True) + 1e-3)))
        rough = tracker_like(env, np.random.default_rng(0))
        self.assertGreaterEqual(rough.min().item(), 0.0)
        self.assertLessEqual(rough.max().item(), 1.0)
        lost = (rough.amax(2) == 0).float().mean().item()
        self.assertTrue(0.0 < lost < 0.15, lost)


class ExportTest(unittest.TestCase):
    def test_export_writes_sessions_card_and_parity(self):
        with tempfile.TemporaryDirectory() as d:
            card = export(AppearanceModel(), d)
            for s in card['sessions'].values():
                self.assertTrue(os.path.exists(os.path.join(d, s['file'])))
                self.assertEqual(len(s['sha256']), 64)
            self.assertEqual(card['stages'], ['appearance'])
            with open(os.path.join(d, 'parity.bin'), 'rb') as f:
                n = struct.unpack('<I', f.read(4))[0]
                header = json.loads(f.read(n))
            self.assertIn('masks', header)
            self.assertEqual(header['masks']['shape'], [2, 512, 256])
            self.assertNotIn('classQueries', card)  # untrained (all zero): no name queries offered

    def test_the_card_carries_trained_class_queries_by_class_name(self):
        model = AppearanceModel()
        with torch.no_grad():
            model.class_queries.copy_(torch.randn_like(model.class_queries))
        with tempfile.TemporaryDirectory() as d:
            export(model, d, parity=False)
            with open(os.path.join(d, 'card.json')) as f:
                card = json.load(f)
        self.assertEqual(list(card['classQueries']), card['classes'])
        for i, name in enumerate(card['classes']):
            np.testing.assert_allclose(card['classQueries'][name], model.class_queries[i].detach().numpy(), atol=1e-6)

    def test_motion_export_extends_the_card_without_breaking_it(self):
        from training.export import export_motion
        with tempfile.TemporaryDirectory() as d:
            app = AppearanceModel()
            before = export(app, d)
            card = export_motion(app, MotionStage(), d)
            self.assertEqual(card['stages'], ['appearance', 'motion'])
            for name in ('visual', 'audio', 'masks', 'localization'):   # what appearance-only apps read
                self.assertEqual(card['sessions'][name], before['sessions'][name])
            for name in ('motion', 'refine'):
                self.assertTrue(os.path.exists(os.path.join(d, card['sessions'][name]['file'])))
            self.assertEqual(card['motion']['frames'], 48)

    def test_a_told_refinement_exports_with_an_activity_input_and_its_parity(self):
        from training.export import RefineSession, export_motion
        torch.manual_seed(0)
        stage = MotionStage().eval()
        stage.tell_activity()
        with torch.no_grad():
            stage.ssr.motion_in.weight[:, -1].normal_()
            stage.ssr.out.weight.normal_(std=0.1)
            # The session's activity input reaches the masks.
            app = AppearanceModel().eval()
            feats, weights = torch.randn(1, 24, 256, 256), torch.rand(1, 1, 256, 256)
            src, f1, cells = torch.randn(2, 24), torch.randn(1, 32, 48, 16, 28), torch.tensor([[4.0, 6.0], [10.0, 20.0]])
            session = RefineSession(app, stage)
            quiet = session(feats, weights, src, f1, cells, torch.zeros(2, 48))
            loud = session(feats, weights, src, f1, cells, torch.ones(2, 48))
            self.assertGreater((quiet - loud).abs().max().item(), 1e-3)
        with tempfile.TemporaryDirectory() as d:
            app = AppearanceModel()
            export(app, d, parity=False)
            card = export_motion(app, stage, d)
            self.assertEqual(card['sessions']['refine']['inputs']['activity'], [2, 48])
            self.assertIn('activity', card['motion'])
            with open(os.path.join(d, 'parity-motion.bin'), 'rb') as f:
                n = struct.unpack('<I', f.read(4))[0]
                self.assertIn('activity', json.loads(f.read(n)))

    def test_the_card_carries_only_evaluations_of_the_weights_it_ships(self):
        from training.ship import evaluations_of
        with tempfile.TemporaryDirectory() as d:
            for name, meta in (('appearance', {'weights_step': 7000}), ('motion', {'ssr_steps': 7388})):
                with open(os.path.join(d, f'{name}.json'), 'w') as f:
                    json.dump({'test/diff2': {'sdr_mean': 12.0}, '_meta': meta}, f)
            self.assertEqual(set(evaluations_of(d, 7000, 7388)), {'appearance', 'motion'})
            # a refinement trained further, or shipped without the motion stage: its old figures stay out
            self.assertEqual(set(evaluations_of(d, 7000, 11177)), {'appearance'})
            self.assertEqual(set(evaluations_of(d, 7000, None)), {'appearance'})
            self.assertEqual(evaluations_of(d, 9181, 11177), {})


if __name__ == '__main__':
    unittest.main()
