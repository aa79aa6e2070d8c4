/** The projects a Playwright command line names with --project (either spelling), in order; none when it names none. */
export function projectsNamed(argv: string[] = process.argv): string[] {
  return argv.flatMap((a, k) => (a.startsWith('--project=') ? [a.slice('--project='.length)] : a === '--project' && argv[k + 1] ? [argv[k + 1]!] : []));
}
