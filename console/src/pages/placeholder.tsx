import Header from '@cloudscape-design/components/header';

/** A page not built yet; replaced by its own module. */
export function Placeholder({ title }: { readonly title: string }) {
  return <Header variant="h1">{title}</Header>;
}
