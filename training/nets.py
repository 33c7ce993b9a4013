"""The appearance stage (Sound of Pixels style) and the localization head.

VisualNet: per-pixel features (K channels, stride 8) from one RGB frame, fully convolutional.
AudioUNet: K feature maps over the 256x256 log-frequency magnitude of the (level-normalised) mixture.
Mask for a clicked pixel p: sigmoid(sum_k s_k v_k(p) A_k(f, t) + b)   (seed 002, Eq. 2).
Query: what a front end knows of a source, as one K-vector in place of v(p): the clicked pixel's
features, a learned vector for its class (a name, a detected face), or their sum. Trained with
either part missing, so a source can be asked for by a click, by a name, or by both.
LocalizationHead: is pixel p sounding at video frame t? A bilinear score between p's visual
features and the mixture's audio features pooled over that frame's time span (audio-visual
correspondence); at the clicked pixel over time it is the source's activity score (DMMAN-style
audio-visual matching).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .audio import N_WARP, unwarp_matrix, warp_matrix
from .world.classes import CLASSES

K = 24           # feature channels shared by the visual and audio nets
IMG_W, IMG_H = 224, 128
IMG_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMG_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def conv_bn(cin, cout, stride=1, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class VisualNet(nn.Module):
    def __init__(self, k=K, width=24):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            conv_bn(3, w, 2), conv_bn(w, w),
            conv_bn(w, 2 * w, 2), conv_bn(2 * w, 2 * w),
            conv_bn(2 * w, 4 * w, 2), conv_bn(4 * w, 4 * w),
            conv_bn(4 * w, 4 * w), nn.Conv2d(4 * w, 4 * w, 3, 1, 2, dilation=2), nn.ReLU(inplace=True),
        )
        self.head = nn.Conv2d(4 * w, k, 1)

    def forward(self, rgb_uint8):
        """rgb (B, 3, H, W) in 0..255 -> features (B, K, H/8, W/8)."""
        x = (rgb_uint8 / 255.0 - IMG_MEAN.to(rgb_uint8.device)) / IMG_STD.to(rgb_uint8.device)
        return self.head(self.body(x))


class UNetBlockDown(nn.Module):
    def __init__(self, cin, cout, norm=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)
        self.bn = nn.BatchNorm2d(cout) if norm else nn.Identity()

    def forward(self, x):
        return self.bn(self.conv(F.leaky_relu(x, 0.2)))


class UNetBlockUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.interpolate(F.relu(x), scale_factor=2, mode='nearest')
        return self.bn(self.conv(x))


class AudioUNet(nn.Module):
    """Sound of Pixels' 7-level U-Net, narrowed (ngf 16) for a laptop CPU."""

    def __init__(self, k=K, ngf=16, levels=7):
        super().__init__()
        chans = [min(ngf * 2 ** i, ngf * 8) for i in range(levels)]
        self.bn0 = nn.BatchNorm2d(1)
        self.first = nn.Conv2d(1, chans[0], 4, 2, 1)
        self.downs = nn.ModuleList(UNetBlockDown(chans[i], chans[i + 1]) for i in range(levels - 1))
        self.ups = nn.ModuleList()
        for i in reversed(range(levels - 1)):
            cin = chans[i + 1] * (1 if i == levels - 2 else 2)
            self.ups.append(UNetBlockUp(cin, chans[i]))
        self.last = nn.Conv2d(chans[0] * 2, k, 1)  # 1x1 at full resolution: 40% of the U-Net's cost otherwise

    def forward(self, log_mag):
        """log_mag (B, 1, 256, 256) -> (B, K, 256, 256)."""
        x = self.first(self.bn0(log_mag))
        skips = [x]
        for d in self.downs:
            x = d(x)
            skips.append(x)
        skips.pop()
        for u in self.ups:
            x = u(x)
            x = torch.cat([x, skips.pop()], 1)
        x = F.interpolate(F.relu(x), scale_factor=2, mode='nearest')
        return self.last(x)


class Synthesizer(nn.Module):
    """Mask logits from a pixel's visual features and the audio feature maps (Eq. 2)."""

    def __init__(self, k=K):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(k))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, v, audio_feats):
        """v (B, N, K), audio_feats (B, K, F, T) -> logits (B, N, F, T)."""
        return torch.einsum('bnk,bkft->bnft', v * self.scale, audio_feats) + self.bias


class LocalizationHead(nn.Module):
    BANDS = 8

    def __init__(self, k=K, dim=32):
        super().__init__()
        self.vis = nn.Conv2d(k, dim, 1)
        self.aud = nn.Sequential(nn.Linear(k * self.BANDS, 64), nn.ReLU(inplace=True), nn.Linear(64, dim))
        self.bias = nn.Parameter(torch.tensor(-1.0))
        self.dim = dim

    @staticmethod
    def pool_audio(audio_feats, log_mag_weights, frame_weights):
        """Energy-weighted pooling of audio features per frequency band for given time spans.
        audio_feats (B, K, F, T); log_mag_weights (B, 1, F, T) >= 0; frame_weights (B, S, T) with
        one row per video frame span (rows sum to 1) -> (B, S, K * BANDS)."""
        b, k, f, t = audio_feats.shape
        w = log_mag_weights
        num = (audio_feats * w).view(b, k, LocalizationHead.BANDS, f // LocalizationHead.BANDS, t).sum(3)
        den = w.view(b, 1, LocalizationHead.BANDS, f // LocalizationHead.BANDS, t).sum(3)
        num = torch.einsum('bkgt,bst->bskg', num, frame_weights)
        den = torch.einsum('bkgt,bst->bskg', den, frame_weights)
        return (num / (den + 1e-6)).flatten(2)

    def forward(self, vis_feats, pooled_audio):
        """vis_feats (B, K, h, w), pooled_audio (B, S, K*BANDS) -> logits (B, S, h, w)."""
        v = self.vis(vis_feats)
        a = self.aud(pooled_audio)
        return torch.einsum('bdhw,bsd->bshw', v, a) / self.dim ** 0.5 + self.bias


def audio_width_of(state):
    """The audio U-Net's width (ngf) that an appearance state dict was trained with."""
    return int(state['audio.first.weight'].shape[0])


class AppearanceModel(nn.Module):
    def __init__(self, audio_width=16):
        """audio_width: the audio U-Net's first-level channels (ngf; every level scales with it)."""
        super().__init__()
        self.visual = VisualNet()
        self.audio = AudioUNet(ngf=audio_width)
        self.synth = Synthesizer()
        self.loc = LocalizationHead()
        # One learned query vector per class; zero means the class adds nothing (weights trained
        # before class queries existed load with zeros).
        self.class_queries = nn.Parameter(torch.zeros(len(CLASSES), K))
        self.register_buffer('warp', torch.from_numpy(warp_matrix()))
        self.register_buffer('unwarp', torch.from_numpy(unwarp_matrix()))

    def load_weights(self, state):
        """Load a state dict, also one saved before class queries existed."""
        state = dict(state)
        state.setdefault('class_queries', torch.zeros_like(self.class_queries))
        self.load_state_dict(state)
        return self

    @classmethod
    def from_weights(cls, state):
        """The model these weights belong to: the audio net's width is read from the weights."""
        return cls(audio_width=audio_width_of(state)).load_weights(state)

    def query(self, v, classes, use_visual, use_class):
        """v (B, N, K) pixel features; classes (B, N) class index or -1; use_* (B, N) 0/1 ->
        the query vectors (B, N, K) the synthesizer takes in place of v."""
        named = (classes >= 0).float() * use_class
        return v * use_visual[..., None] + self.class_queries[classes.clamp(min=0)] * named[..., None]

    def log_input(self, mag):
        """Linear magnitude (B, 512, T) -> level-normalised log-warped input (B, 1, 256, T) and
        the warped normalised magnitude (for loss weights and pooling)."""
        warped = torch.einsum('wf,bft->bwt', self.warp, mag)
        # Level normalisation: the model never sees how loud the file is.
        norm = warped / (warped.mean(dim=(1, 2), keepdim=True) + 1e-8)
        return torch.log(norm + 1e-3).unsqueeze(1), norm.unsqueeze(1)

    def audio_features(self, mag):
        log_mag, norm = self.log_input(mag)
        return self.audio(log_mag), norm
