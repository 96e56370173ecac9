window.sampleAssetLoaded = true;
