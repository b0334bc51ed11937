/* An empty library for the programs of another platform that a build runs.
 *
 * The Nix hook preloads lib/cowlink/$PLATFORM/libcowlink.so, a name the
 * loader expands per program ($PLATFORM: x86_64, or i686 for a 32-bit
 * program on an x86_64 machine).  lib/cowlink/x86_64/ holds the library;
 * lib/cowlink/i686/ (and i386, i486, i586) hold this file built for 32-bit
 * x86, so a 32-bit test binary loads it and runs as it would without
 * cowlink, where its loader would print "wrong ELF class" on its stderr
 * (which tests that check stderr see) for the 64-bit library.
 */
