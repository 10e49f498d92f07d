import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';

/**
 * A full-page list's heading: its title, how many rows are shown (with `+` when the service has
 * more pages), what the list is, and `Refresh the <noun>`.
 */
export function ListHeader(props: {
  readonly title: string;
  readonly noun: string;
  readonly description: string;
  /** Rows shown; undefined before the first answer. */
  readonly shown: number | undefined;
  readonly more?: boolean;
  readonly loading: boolean;
  readonly reload: () => void;
}) {
  return (
    <Header
      variant="h1"
      counter={props.shown === undefined ? undefined : `(${props.shown}${props.more === true ? '+' : ''})`}
      description={props.description}
      actions={
        <Button iconName="refresh" ariaLabel={`Refresh the ${props.noun}`} onClick={props.reload} disabled={props.loading}>
          Refresh
        </Button>
      }
    >
      {props.title}
    </Header>
  );
}
