import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ReactNode } from 'react';

export interface ConfirmDialogProps {
  readonly visible: boolean;
  readonly header: string;
  readonly children: ReactNode;
  /** False while the plan is loading or refused: `Confirm` is disabled. */
  readonly canConfirm: boolean;
  readonly busy: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

/** The one confirmation every disruptive click goes through (API.md: its confirming button is named `Confirm`). */
export function ConfirmDialog({ visible, header, children, canConfirm, busy, onConfirm, onCancel }: ConfirmDialogProps) {
  return (
    <Modal
      visible={visible}
      header={header}
      onDismiss={onCancel}
      closeAriaLabel="Close dialog"
      size="large"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onCancel} disabled={busy}>
              Cancel
            </Button>
            <Button variant="primary" onClick={onConfirm} disabled={!canConfirm} loading={busy}>
              Confirm
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      {children}
    </Modal>
  );
}
