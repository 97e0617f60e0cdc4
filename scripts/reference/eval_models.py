"""The small evaluation architectures trained by scripts/reference/eval_train.py on the synthetic
shapes. Model input 56 x 56 RGB: the 112 x 112 images are halved by the preprocessing the models
carry in their metadata (PIL bilinear), which quarters the training cost on two shared CPU cores.
Three classifier styles, so methods can be compared across them, and one embedding network
without a classifier (feature maps at the last layer are 7 x 7, as ResNet-50's at 224 px):

  shapes_resnet     ResNet-style: stem conv 3x3/2 (16) + 2x2 max pool, 3 basic blocks (24, 48/2, 48)
                    at 14/7/7 px, global average pool, one linear layer. Last block 48 x 7 x 7.
  shapes_vgg        VGG-style: plain 3x3 conv + BN + ReLU stacks with 2x2 max pools
                    (8 | pool | 16 | pool | 32 | pool | 48, 64) at 56/28/14/7 px, global
                    average pool, a two-layer classifier (64 -> 64 -> ReLU -> dropout -> classes).
  shapes_mobilenet  MobileNetV2-style: stem conv 3x3/2 (16), inverted residual blocks (expand 3,
                    depthwise 3x3, linear bottleneck, ReLU6): 24/2, 32/2, 32, 48 (residual where
                    shapes match), 1x1 conv to 128 + ReLU6 at 7 x 7, global average pool, linear.
  shapes_embed      FC-less embedding (supervised contrastive loss, trunk started from the trained
                    shapes_resnet's): the shapes_resnet trunk (stem + 3 blocks), a 1x1 conv to 32
                    channels (no activation), global average pool, flatten = the embedding [N, 32].
"""

import torch
from torch import nn


def conv_bn(cin, cout, k=3, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, stride=stride)
        self.conv2 = conv_bn(cout, cout, act=None)
        self.down = None if stride == 1 and cin == cout else conv_bn(cin, cout, k=1, stride=stride, act=None)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        skip = x if self.down is None else self.down(x)
        return self.relu(self.conv2(self.conv1(x)) + skip)


def resnet_trunk():
    return nn.Sequential(conv_bn(3, 16, stride=2), nn.MaxPool2d(2), BasicBlock(16, 24, 1), BasicBlock(24, 48, 2),
                         BasicBlock(48, 48, 1))


class ShapesResNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = resnet_trunk()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(48, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class ShapesVGG(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 8), nn.MaxPool2d(2), conv_bn(8, 16), nn.MaxPool2d(2),
                                      conv_bn(16, 32), nn.MaxPool2d(2), conv_bn(32, 48), conv_bn(48, 64))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(64, 64), nn.ReLU(inplace=True), nn.Dropout(0.2),
                                        nn.Linear(64, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand=3):
        super().__init__()
        mid = cin * expand
        self.block = nn.Sequential(conv_bn(cin, mid, k=1, act=nn.ReLU6), conv_bn(mid, mid, stride=stride, groups=mid, act=nn.ReLU6),
                                   conv_bn(mid, cout, k=1, act=None))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class ShapesMobileNet(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 16, stride=2, act=nn.ReLU6), InvertedResidual(16, 24, 2),
                                      InvertedResidual(24, 32, 2), InvertedResidual(32, 32, 1),
                                      InvertedResidual(32, 48, 1), conv_bn(48, 128, k=1, act=nn.ReLU6))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(128, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


class ShapesEmbed(nn.Module):
    DIM = 32

    def __init__(self):
        super().__init__()
        self.features = resnet_trunk()
        self.project = nn.Conv2d(48, self.DIM, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return torch.flatten(self.pool(self.project(self.features(x))), 1)


CLASSIFIERS = {"shapes_resnet": ShapesResNet, "shapes_vgg": ShapesVGG, "shapes_mobilenet": ShapesMobileNet}
EMBEDDERS = {"shapes_embed": ShapesEmbed}
