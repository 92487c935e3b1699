"""What the suites run the program against, in one place: Label Studio itself, nginx as its image
runs it, Chromium, the emulators' worlds and servers, the chart's pod rendering, the provider and
policy-pack hosts. Test modules live in the folders named for what they exercise."""
