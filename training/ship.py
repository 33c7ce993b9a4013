"""Export the trained appearance and motion stages into the app's model folder with their card.

    python3 -m training.ship --appearance training/runs/appearance/best.pt \
        --motion training/runs/motion/motion.pt --out resources/models/default
"""
import argparse
import json
import os

import torch

from .export import export, export_motion
from .motion import MotionStage
from .nets import AppearanceModel


# What each variation the appearance stage may have been trained on holds (docs/data.md lists it with licences).
TRAINING_DATA = {
    'default': 'synthetic world (shared/synthetic-world.md), train-split seeds only; FluidR3_GM family timbres with '
               'random EQ/reverb and espeak-ng voices; held-out timbres and voice never used',
    'wide': "synthetic world (shared/synthetic-world.md), train-split seeds only, the 'wide' variation: every sound "
            'set, voice and real recording of docs/data.md marked for training (FluidR3_GM, OPL-3, freepats, AVL and '
            'Hydrogen drum kits, espeak-ng, KLettres and KTuberling speakers, lmms and qABCs instrument recordings) with recording '
            "augmentation; csound's GM bank and the recordings marked 'real' never used",
}


def evaluations_of(eval_dir, appearance_step, ssr_step):
    """The evaluations in eval_dir (appearance.json, motion.json) that scored these very weights, by the
    steps their _meta records: a card never carries figures of other weights."""
    steps = {'appearance': ('weights_step', appearance_step), 'motion': ('ssr_steps', ssr_step)}
    found = {}
    for name, (key, step) in steps.items():
        p = os.path.join(eval_dir, f'{name}.json')
        if step is None or not os.path.exists(p):
            continue
        with open(p) as f:
            evaluation = json.load(f)
        if evaluation.get('_meta', {}).get(key) == step:
            found[name] = evaluation
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--appearance', default='training/runs/appearance/best.pt')
    ap.add_argument('--motion', default='training/runs/motion/motion.pt')
    ap.add_argument('--out', default='resources/models/default')
    ap.add_argument('--no-motion', action='store_true', help='ship the appearance stage only')
    args = ap.parse_args()
    ck = torch.load(args.appearance, map_location='cpu')
    app = AppearanceModel.from_weights(ck['model'])
    use_motion = not args.no_motion and os.path.exists(args.motion)
    mk = torch.load(args.motion, map_location='cpu') if use_motion else None
    stage = MotionStage.from_weights(mk['model']) if use_motion else None
    # A refinement told the activities has trained on from its ssr step: no evaluation of that step scored it.
    ssr_step = mk.get('ssr_step') if use_motion and not stage.told else None
    metrics = evaluations_of(os.path.join('docs', 'eval'), ck.get('step'), ssr_step)
    variation = ck.get('variation', 'default')
    meta = {'training': {'appearanceSteps': ck.get('step'), 'batch': 8, 'valSdrProxy': ck.get('val_sdr'),
                         'data': TRAINING_DATA.get(variation, f"the '{variation}' variation (training/world/scene.py)"),
                         'seeds': {'train': 'split 1', 'validation': 'split 2', 'test': 'split 3', 'demo': 'split 4'},
                         'command': 'python3 -m training.pipeline' if variation == 'default' else 'the runs in docs/models.md'},
            'metrics': metrics}
    if ck.get('queries') == 'mixed':
        meta['training']['classQueries'] = {
            'steps': ck.get('step'), 'valSdrByName': ck.get('val_sdr_by_name'),
            'data': "the 'wide' variation: every sound set and voice but the held-out ones, with recording "
                    'augmentation (training/world/scene.py)'}
    export(app, args.out, meta)
    if use_motion:
        steps = {'ameSteps': mk.get('ame_step'), 'ssrSteps': mk.get('ssr_step'), 'camSteps': mk.get('cam_step')}
        if stage.told:
            steps['activitySteps'] = mk.get('activity_step')
        export_motion(app, stage, args.out, {'motion': steps})
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f'shipped {args.out}: {size / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
