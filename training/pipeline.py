"""The whole model pipeline in one resumable command (CPU or CUDA):

    python3 -m training.pipeline                      # hours on a laptop CPU; minutes on a GPU
    python3 -m training.pipeline --appearance-minutes 30 --ame-minutes 10 --ssr-minutes 20

asset bank -> appearance stage (resumes) -> Audio-Motion Embedding -> motion refinement ->
evaluation on test seeds -> ONNX export with the model card -> curves and tables for docs/models.md.
Each training step resumes from its run folder, so the command can be stopped and run again.
"""
import argparse
import json
import os
import subprocess
import sys


def run(*args):
    print('+', ' '.join(args), flush=True)
    subprocess.run([sys.executable, '-m', *args], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--runs', default='training/runs')
    ap.add_argument('--out', default='resources/models/default')
    ap.add_argument('--appearance-minutes', type=float, default=240)
    ap.add_argument('--ame-minutes', type=float, default=20)
    ap.add_argument('--ssr-minutes', type=float, default=180)
    ap.add_argument('--cam-minutes', type=float, default=0,
                    help='motion-map phase (an experiment, off by default: see docs/models.md)')
    ap.add_argument('--decay-share', type=float, default=0.3,
                    help='share of each training phase spent on a cosine learning-rate decay (0: none)')
    ap.add_argument('--scenes', type=int, default=40, help='test scenes per table row')
    ap.add_argument('--workers', type=int, default=max(1, (os.cpu_count() or 2) - 1))
    args = ap.parse_args()
    if not os.path.exists(args.bank):
        run('training.world.assets', '--out', args.bank)

    def decay(minutes):
        # by time, not step: steps per minute differ between a laptop and a GPU
        return ['--decay-minutes', str(minutes * args.decay_share)] if args.decay_share > 0 else []

    app_run, mot_run = os.path.join(args.runs, 'appearance'), os.path.join(args.runs, 'motion')
    run('training.train', '--run', app_run, '--bank', args.bank, '--minutes', str(args.appearance_minutes),
        '--workers', str(args.workers), '--lr-end', '4e-5', *decay(args.appearance_minutes))
    best = os.path.join(app_run, 'best.pt')
    run('training.train_motion', '--phase', 'ame', '--run', mot_run, '--appearance', best, '--bank', args.bank,
        '--minutes', str(args.ame_minutes), '--workers', str(args.workers))
    run('training.train_motion', '--phase', 'ssr', '--run', mot_run, '--appearance', best, '--bank', args.bank,
        '--minutes', str(args.ssr_minutes), '--workers', str(args.workers), '--same-class-share', '0.5',
        '--tune-motion-net', *decay(args.ssr_minutes))
    if args.cam_minutes > 0:
        run('training.experiments.cam', '--phase', 'cam', '--run', mot_run, '--appearance', best, '--bank', args.bank,
            '--minutes', str(args.cam_minutes), '--workers', str(args.workers))
    run('training.evaluate', '--weights', best, '--scenes', str(args.scenes), '--out', 'docs/eval/appearance.json')
    run('training.evaluate', '--motion-stage', '--appearance', best, '--motion', os.path.join(mot_run, 'motion.pt'),
        '--scenes', str(max(10, args.scenes // 2)), '--out', 'docs/eval/motion.json')
    # report.py tabulates motion-25.json too, so it must come from the same models, not an earlier run
    run('training.evaluate', '--motion-stage', '--appearance', best, '--motion', os.path.join(mot_run, 'motion.pt'),
        '--scenes', '25', '--out', 'docs/eval/motion-25.json')
    run('training.ship', '--appearance', best, '--motion', os.path.join(mot_run, 'motion.pt'), '--out', args.out)
    run('training.report', '--runs', args.runs, '--out', 'docs')


if __name__ == '__main__':
    main()
